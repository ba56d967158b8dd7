"""Outcomes: the day-100 result of each team, the opdrachtgever's view, the six-month
sustainability question and the intervention library built from completed challenges."""

from flask_babel import lazy_gettext as _l

AUDIT_LABELS = {
    "result_submitted": _l("dag-100-resultaat ingediend"),
    "result_commissioner_view": _l("oordeel opdrachtgever over het resultaat"),
    "sustainability_answered": _l("vraag over borging na zes maanden beantwoord"),
}


def init_app(app) -> None:
    from fieldlab.audit.services import ACTION_LABELS
    from fieldlab.outcomes import jobs, routes

    ACTION_LABELS.update(AUDIT_LABELS)
    jobs.register()
    app.register_blueprint(routes.bp)
