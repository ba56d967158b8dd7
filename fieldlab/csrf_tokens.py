"""The page's CSRF token, signed once per session secret instead of once per request.

Flask-WTF signs the session's secret anew for every request that renders a form or the page's
meta tag: a serializer built, its key derived, a timestamp, an HMAC. Served, that was 5% of the
board page's time (py-spy). The app's tokens have no time limit (`WTF_CSRF_TIME_LIMIT = None`):
a token signed earlier for the same secret is exactly as valid as a new one, and a secret lives
as long as its session (logout clears it, so its tokens stop working with it). So a token signed
for a secret is kept (a bounded number of them, in each worker) and put where `generate_csrf`
looks first (`g`) before the view runs; forms and templates get it from Flask-WTF as before.

With a time limit set, the timestamp is the token's expiry and every request signs anew, as
Flask-WTF does. Requests without a session secret yet (a first visit) are left to Flask-WTF,
which makes the secret; static files render no token.
"""

from functools import lru_cache

from flask import Flask, current_app, g, request, session
from itsdangerous import URLSafeTimedSerializer

SALT = "wtf-csrf-token"  # Flask-WTF's own (flask_wtf.csrf.generate_csrf)


@lru_cache(maxsize=4096)
def signed_token(secret_key: str | bytes, secret: str) -> str:
    """Flask-WTF's token for a session secret, as `generate_csrf` signs it."""
    return URLSafeTimedSerializer(secret_key, salt=SALT).dumps(secret)


def _prepare_token() -> None:
    config = current_app.config
    if config["WTF_CSRF_TIME_LIMIT"] is not None or request.endpoint == "static":
        return
    field = config["WTF_CSRF_FIELD_NAME"]
    secret = session.get(field)
    if isinstance(secret, str) and field not in g:
        setattr(g, field, signed_token(config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key, secret))


def init_app(app: Flask) -> None:
    app.before_request(_prepare_token)
