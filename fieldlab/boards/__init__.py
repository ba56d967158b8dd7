"""100-day challenge boards: the challenge, its cards, activity, weekly progress and the overview."""


def init_app(app) -> None:
    from fieldlab.boards import routes

    app.register_blueprint(routes.bp)
