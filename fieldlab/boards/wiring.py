"""How the boards feature is wired into the app (why a module of its own: `fieldlab.create_app`)."""

from fieldlab.boards import routes, shortcuts


def init_app(app) -> None:
    app.register_blueprint(routes.bp)
    app.jinja_env.globals["board_header"] = routes.header_html
    shortcuts.install(app)
