"""How the auth feature is wired into the app (why a module of its own: `fieldlab.create_app`)."""

from flask import Flask, abort, request, session
from flask_login import user_loaded_from_cookie

from fieldlab.auth import routes, services
from fieldlab.extensions import login_manager


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "strong"
    # The same identifier as Flask-Login's, from the WSGI environ: the board refresh's shortcut
    # compares it before Flask builds a request (`services.session_identifier`).
    login_manager._session_identifier_generator = lambda: services.session_identifier(request.environ)
    login_manager.user_loader(services.load_user_from_cookie_id)
    # A 401 goes through web.handle_http_error: a redirect to the login page for a page request,
    # a 401 fragment for htmx (which cannot show a login page inside a fragment).
    login_manager.unauthorized_handler(lambda: abort(401))
    user_loaded_from_cookie.connect(_identify_session_restored_from_cookie)
    app.register_blueprint(routes.bp)
    app.extensions["fieldlab.login_throttle"] = services.make_login_throttle(app.config)


def _identify_session_restored_from_cookie(sender, user=None, **extra) -> None:
    """Strong session protection compares the session's identifier (address and browser) on every
    request. login_user stores it; a login through the remember cookie does not, so the next request
    found none, cleared the session and the remember cookie: 'remember me' lasted one click."""
    session["_id"] = login_manager._session_identifier_generator()
