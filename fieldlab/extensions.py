"""The Flask extensions, created unbound here and bound to an app in create_app().

Keeping them in one module lets feature packages import `db` or `limiter` without importing the
application factory (no circular imports, no app built at import time).
"""

from functools import cached_property, partial
from typing import Any

from flask import Flask, g, has_app_context
from flask_babel import Babel, Domain, get_locale
from flask_htmx import HTMX
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    # Named constraints, so Alembic can alter them on SQLite and PostgreSQL alike.
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
htmx = HTMX()


class RequestDomain(Domain):
    """Flask-Babel's message domain, with the request's catalogue kept for the request.

    Flask-Babel finds the catalogue anew for every string it translates: the current context
    three times, the locale, the locale's name, then a dictionary lookup, about 20 µs where the
    translation itself takes under 1 µs; a board page translates some forty strings and a form
    page a few hundred. The catalogue is kept on Flask-Babel's own per-request namespace together
    with the locale object it is for, so `force_locale` (mail in the recipient's language) and
    `refresh()`, which replace that object, get their own catalogue."""

    def get_translations(self) -> Any:
        babel_context = g.get("_flask_babel") if has_app_context() else None
        if babel_context is not None:
            kept = getattr(babel_context, "fieldlab_translations", None)
            if kept is not None and kept[0] is getattr(babel_context, "babel_locale", None):
                return kept[1]
        translations = super().get_translations()
        babel_context = g.get("_flask_babel") if has_app_context() else None
        locale = getattr(babel_context, "babel_locale", None)
        if babel_context is not None and locale is not None:
            babel_context.fieldlab_translations = (locale, translations)
        return translations


class FieldlabBabel(Babel):
    @cached_property
    def domain_instance(self) -> Domain:
        return RequestDomain(domain=self.domain)


babel = FieldlabBabel()


def request_language() -> tuple[Any, Any]:
    """The request's locale and its catalogue, in one look at the request context. Flask-Babel's
    `get_locale` and `get_translations` read it three to five times each (through the proxy of
    `g`), and a form page asks for both for each of its twenty fields."""
    babel_context = g.get("_flask_babel") if has_app_context() else None
    kept = getattr(babel_context, "fieldlab_translations", None)
    if kept is not None and kept[0] is getattr(babel_context, "babel_locale", None):
        return kept[0], kept[1]
    translations = babel.domain_instance.get_translations()
    return get_locale(), translations


class RouteLimiter(Limiter):
    """Flask-Limiter for the limits written on a route (`@limiter.limit`), without the hooks it
    adds to every request of the app.

    A decorated view checks its own limit when it is called. The app-wide hooks (before every
    request, after it and at its teardown) serve only default, application and meta limits and
    the X-RateLimit headers, none of which Fieldlab uses; yet the before-request hook resolved
    the limits of every request (about 0.08 ms each, an eighth of the board refresh's time)
    only to find none. So the hooks are taken out again, and a configuration that would need
    them is refused rather than silently not enforced."""

    def init_app(self, app: Flask) -> None:
        super().init_app(app)
        if not self.enabled:
            return
        if (self.limit_manager.default_limits or self.limit_manager.application_limits or self._meta_limits
                or self._headers_enabled):
            raise RuntimeError("RouteLimiter checks only limits on routes: no default, application or meta "
                               "limits and no rate-limit headers")
        app.before_request_funcs[None] = [
            hook for hook in app.before_request_funcs.get(None, []) if not self._owns(hook)]
        app.after_request_funcs[None] = [
            hook for hook in app.after_request_funcs.get(None, []) if not self._owns(hook)]
        app.teardown_request_funcs[None] = [
            hook for hook in app.teardown_request_funcs.get(None, []) if not self._owns(hook)]

    def _owns(self, hook: Any) -> bool:
        if isinstance(hook, partial):
            return any(argument is self for argument in hook.args)
        return getattr(hook, "__self__", None) is self


limiter = RouteLimiter(key_func=get_remote_address, default_limits=[])
