"""How the teams feature is wired into the app (why a module of its own: `fieldlab.create_app`)."""

from fieldlab.labs import hooks as lab_hooks
from fieldlab.teams import routes, services


def init_app(app) -> None:
    app.register_blueprint(routes.bp)
    lab_hooks.participant_leaving.connect(services.leave_lab_teams)
