"""How the reports feature is wired into the app (why a module of its own: `fieldlab.create_app`)."""

from flask_babel import lazy_gettext as _l

from fieldlab.audit.services import ACTION_LABELS
from fieldlab.reports import routes

AUDIT_LABELS = {
    "report_downloaded": _l("rapportage gedownload"),
}


def init_app(app) -> None:
    ACTION_LABELS.update(AUDIT_LABELS)
    app.register_blueprint(routes.bp)
