"""How the privacy feature is wired into the app (why a module of its own: `fieldlab.create_app`)."""

from flask_babel import lazy_gettext as _l

from fieldlab.audit.services import ACTION_LABELS
from fieldlab.privacy import routes

AUDIT_LABELS = {
    "privacy_purged": _l("persoonsgegevens van een Lab opgeschoond"),
    "person_exported": _l("gegevens van een persoon ingezien of gedownload"),
    "person_erased": _l("persoon gewist"),
    "retention_postponed": _l("opschoning van een persoon uitgesteld"),
    "retention_postponement_ended": _l("uitstel van opschoning ingetrokken"),
    "retention_person_purged": _l("persoon geanonimiseerd na afloop van uitstel"),
}


def init_app(app) -> None:
    ACTION_LABELS.update(AUDIT_LABELS)
    app.register_blueprint(routes.bp)
