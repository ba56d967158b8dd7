"""Bestuurlijk signaal: a team's (or a facilitator's) signal to the Landelijk Loket Bestuurlijke
Signalen, from draft through the three criteria and the Loket's steps to the effect question.
Follow-ups (the 3-month reminder, the 6-month effect question) run through fieldlab/followups."""

from flask_babel import lazy_gettext as _l

AUDIT_LABELS = {
    "signal_created": _l("bestuurlijk signaal aangemaakt"),
    "signal_changed": _l("bestuurlijk signaal gewijzigd"),
    "signal_status_changed": _l("status bestuurlijk signaal gewijzigd"),
    "signal_consultation_recorded": _l("toetsingsoverleg bestuurlijk signaal vastgelegd"),
    "signal_effect_answered": _l("effect bestuurlijk signaal beantwoord"),
    "signal_exported": _l("bestuurlijk signaal geëxporteerd"),
}


def init_app(app) -> None:
    from fieldlab.audit.services import ACTION_LABELS
    from fieldlab.signals import jobs, routes

    ACTION_LABELS.update(AUDIT_LABELS)
    jobs.register_followups()
    app.register_blueprint(routes.bp)
