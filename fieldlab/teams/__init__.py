"""Teams of a Lab and their formation: suggested by formation.py, adjusted by hand, confirmed."""


def init_app(app) -> None:
    from fieldlab.teams import routes

    app.register_blueprint(routes.bp)
