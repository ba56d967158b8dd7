"""How the evaluations feature is wired into the app: called once by `create_app`.

Kept out of the package's `__init__` so that importing a model or a service of this feature stays
light and cycle-free; only the app factory imports this module, after every package exists.
"""

from fieldlab.evaluations import routes, services
from fieldlab.mail import hooks as mail_hooks


def init_app(app) -> None:
    mail_hooks.withdrawal_asked.connect(services.outbox_withdrawal_reason)
    app.register_blueprint(routes.bp)
