"""Accounts, login and the one place that decides who may do what (permissions.py)."""

from flask import Flask


def init_app(app: Flask) -> None:
    from fieldlab.auth import routes, services
    from fieldlab.extensions import login_manager

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "strong"
    login_manager.user_loader(services.load_user_from_cookie_id)
    app.register_blueprint(routes.bp)
    app.extensions["fieldlab.login_throttle"] = services.make_login_throttle(app.config)
