"""How the labs feature is wired into the app (why a module of its own: `fieldlab.create_app`)."""

from fieldlab.labs import routes


def init_app(app) -> None:
    app.register_blueprint(routes.bp)
