"""Labs of three kinds, their programme days, participants, profiles and (derived) alumni."""


def init_app(app) -> None:
    from fieldlab.labs import routes

    app.register_blueprint(routes.bp)
