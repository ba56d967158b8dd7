"""Evaluations: participants grade programmes and terugkomdagen; facilitators see the results."""


def init_app(app) -> None:
    from fieldlab.evaluations import routes

    app.register_blueprint(routes.bp)
