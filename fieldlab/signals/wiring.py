"""How the signals feature is wired into the app (why a module of its own: `fieldlab.create_app`)."""

from flask_babel import lazy_gettext as _l

from fieldlab.audit.services import ACTION_LABELS
from fieldlab.signals import jobs, routes

AUDIT_LABELS = {
    "signal_created": _l("bestuurlijk signaal aangemaakt"),
    "signal_changed": _l("bestuurlijk signaal gewijzigd"),
    "signal_status_changed": _l("status bestuurlijk signaal gewijzigd"),
    "signal_consultation_recorded": _l("toetsingsoverleg bestuurlijk signaal vastgelegd"),
    "signal_effect_answered": _l("effect bestuurlijk signaal beantwoord"),
    "signal_exported": _l("bestuurlijk signaal geëxporteerd"),
}


def init_app(app) -> None:
    ACTION_LABELS.update(AUDIT_LABELS)
    jobs.register_followups()
    app.register_blueprint(routes.bp)
