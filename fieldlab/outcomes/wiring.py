"""How the outcomes feature is wired into the app (why a module of its own: `fieldlab.create_app`)."""

from flask_babel import lazy_gettext as _l

from fieldlab.audit.services import ACTION_LABELS
from fieldlab.outcomes import jobs, routes

AUDIT_LABELS = {
    "result_submitted": _l("dag-100-resultaat ingediend"),
    "result_commissioner_view": _l("oordeel opdrachtgever over het resultaat"),
    "sustainability_answered": _l("vraag over borging na zes maanden beantwoord"),
}


def init_app(app) -> None:
    ACTION_LABELS.update(AUDIT_LABELS)
    jobs.register()
    app.register_blueprint(routes.bp)
