"""How the expertise feature is wired into the app (why a module of its own: `fieldlab.create_app`)."""

from fieldlab.expertise import routes, services


def init_app(app) -> None:
    app.register_blueprint(routes.bp)
    app.jinja_env.globals["expertise_labels"] = services.all_labels
