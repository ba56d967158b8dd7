"""Accounts, login and the one place that decides who may do what (permissions.py)."""

from flask import Flask, abort


def init_app(app: Flask) -> None:
    from fieldlab.auth import routes, services
    from fieldlab.extensions import login_manager

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "strong"
    login_manager.user_loader(services.load_user_from_cookie_id)
    # A 401 goes through web.handle_http_error: a redirect to the login page for a page request,
    # a 401 fragment for htmx (which cannot show a login page inside a fragment).
    login_manager.unauthorized_handler(lambda: abort(401))
    app.register_blueprint(routes.bp)
    app.extensions["fieldlab.login_throttle"] = services.make_login_throttle(app.config)
