"""Evaluations: participants grade programmes and terugkomdagen; facilitators see the results."""

from fieldlab.mail import hooks as mail_hooks


def init_app(app) -> None:
    from fieldlab.evaluations import routes, services

    mail_hooks.withdrawal_asked.connect(services.outbox_withdrawal_reason)
    app.register_blueprint(routes.bp)
