"""The home page: what is next for me, per role."""


def init_app(app) -> None:
    from fieldlab.home import routes

    app.register_blueprint(routes.bp)
