"""How the evaluations feature is wired into the app (why a module of its own: `fieldlab.create_app`)."""

from fieldlab.evaluations import routes, sending
from fieldlab.mail import hooks as mail_hooks


def init_app(app) -> None:
    mail_hooks.withdrawal_asked.connect(sending.outbox_withdrawal_reason)
    app.register_blueprint(routes.bp)
