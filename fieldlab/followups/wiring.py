"""How the followups feature is wired into the app (why a module of its own: `fieldlab.create_app`)."""

from flask_babel import lazy_gettext as _l

from fieldlab.audit.services import ACTION_LABELS

AUDIT_LABELS = {
    "followup_failed": _l("vervolgstap mislukt"),
}


def init_app(app) -> None:
    ACTION_LABELS.update(AUDIT_LABELS)
