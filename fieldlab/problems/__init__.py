"""Vraagstukken: opdrachtgevers submit problems; facilitators review, accept and attach them to a Lab."""


def init_app(app) -> None:
    from fieldlab.problems import routes

    app.register_blueprint(routes.bp)
