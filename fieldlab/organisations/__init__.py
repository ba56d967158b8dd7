"""Partner organisations: the reference list and the concrete ones facilitators add."""


def init_app(app) -> None:
    from fieldlab.organisations import routes

    app.register_blueprint(routes.bp)
