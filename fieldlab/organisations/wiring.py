"""How the organisations feature is wired into the app (why a module of its own: `fieldlab.create_app`)."""

from fieldlab.organisations import routes


def init_app(app) -> None:
    app.register_blueprint(routes.bp)
