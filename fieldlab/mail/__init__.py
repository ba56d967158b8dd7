"""The outbox: every e-mail is a row first, and only the sender talks SMTP."""


def init_app(app) -> None:
    from fieldlab.mail import routes

    app.register_blueprint(routes.bp)
