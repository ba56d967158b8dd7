"""Evaluations: participants grade programmes and terugkomdagen; facilitators see the results."""


def init_app(app) -> None:
    from fieldlab.evaluations import routes, services
    from fieldlab.mail.services import register_withdrawal_rule

    register_withdrawal_rule(services.outbox_withdrawal_reason)
    app.register_blueprint(routes.bp)
