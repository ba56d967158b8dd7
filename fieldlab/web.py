"""Cross-cutting web glue: locale, error pages (full page or fragment), security headers, htmx."""

from functools import lru_cache
from urllib.parse import urlsplit

from babel import support
from flask import (
    Flask,
    Response,
    current_app,
    flash,
    g,
    has_request_context,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from jinja2 import StrictUndefined, pass_context
from markupsafe import Markup
from sqlalchemy.exc import DataError
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter
from wtforms.i18n import messages_path

from fieldlab import formats
from fieldlab.auth.permissions import can
from fieldlab.extensions import babel, db, htmx
from fieldlab.forms import render_csrf_fields_without_id
from fieldlab.session_cookie import SessionInterface, add_vary

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "object-src 'none'",
])

ERROR_TEXTS = {
    400: (_l("Verzoek niet begrepen"), _l("Het formulier of de link klopt niet. Ga terug en probeer het opnieuw.")),
    401: (_l("Sessie verlopen"),
          _l("Uw sessie is verlopen of u bent uitgelogd. Log opnieuw in; kopieer eerst wat u had ingevuld.")),
    403: (_l("Geen toegang"), _l("U heeft geen toegang tot deze pagina.")),
    404: (_l("Pagina niet gevonden"),
          _l("Deze pagina bestaat niet, of u heeft er geen toegang toe. Controleer het adres of ga naar de startpagina.")),
    405: (_l("Actie niet toegestaan"), _l("Deze actie kan niet op deze manier worden uitgevoerd.")),
    409: (_l("Iemand anders was u voor"),
          _l("Iemand anders heeft dit intussen gewijzigd. Laad de pagina opnieuw en bekijk de nieuwe versie.")),
    413: (_l("Te groot"), _l("Wat u verstuurde is te groot.")),
    422: (_l("Niet verwerkt"), _l("Controleer wat u heeft ingevuld en probeer het opnieuw.")),
    429: (_l("Even geduld"), _l("U heeft dit te vaak geprobeerd. Wacht een kwartier en probeer het dan opnieuw.")),
    500: (_l("Er ging iets mis"),
          _l("Er ging aan onze kant iets mis. Uw laatste wijziging is niet opgeslagen. Probeer het over een paar minuten opnieuw.")),
}


# Ids and page numbers beyond this are nonsense; beyond 2**63 they would crash the database driver.
MAX_INT_ARGUMENT = 2**31 - 1


class BoundedIntegerConverter(IntegerConverter):
    """`<int:id>` in a URL, but never larger than a database integer: a huge id is a 404."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_INT_ARGUMENT)
        super().__init__(map, *args, **kwargs)


def to_int(value, default: int | None = None) -> int | None:
    """A non-negative integer no larger than a database integer from a query-string or form value
    or a link's payload, or `default` when it is missing, not a number, or out of range (so a
    hostile value gives the default, not a database error)."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    return number if 0 <= number <= MAX_INT_ARGUMENT else default


def int_arg(name: str, default: int | None = None) -> int | None:
    """`to_int` of the query string's or form's value `name`."""
    return to_int(request.values.get(name), default)


# WTForms' own Dutch for a text's length says "karakters" and starts without a subject ("Veld mag
# niet langer zijn dan 5000 karakters."); Dutch forms say "tekens".
DUTCH_LENGTH_MESSAGES = {
    "Field must be at least %(min)d character long.":
        ("Dit veld moet minstens %(min)d teken lang zijn.", "Dit veld moet minstens %(min)d tekens lang zijn."),
    "Field cannot be longer than %(max)d character.":
        ("Dit veld mag niet langer zijn dan %(max)d teken.", "Dit veld mag niet langer zijn dan %(max)d tekens."),
    "Field must be exactly %(max)d character long.":
        ("Dit veld moet precies %(max)d teken lang zijn.", "Dit veld moet precies %(max)d tekens lang zijn."),
    "Field must be between %(min)d and %(max)d characters long.":
        ("Dit veld moet tussen %(min)d en %(max)d tekens lang zijn.",) * 2,
}


class WTFormsMessages:
    """WTForms' own messages ('Not a valid choice.') in the request's language. Flask-WTF reads
    WTForms' catalogue from disk again for every request that builds a form (it caches it on the
    request only); the catalogue never changes while the app runs, so this reads it once per
    language and hands it to Flask-WTF through the request attribute it looks for first. The
    length messages read as Dutch forms say it (`DUTCH_LENGTH_MESSAGES`)."""

    def __init__(self):
        self._catalogues = {}

    def _catalogue(self):
        locale = get_locale()
        catalogue = self._catalogues.get(str(locale))
        if catalogue is None:
            catalogue = support.Translations.load(messages_path(), [locale], domain="wtforms")
            self._catalogues[str(locale)] = catalogue
        return catalogue

    def ugettext(self, string):
        ours = DUTCH_LENGTH_MESSAGES.get(string) if getattr(get_locale(), "language", None) == "nl" else None
        return ours[1] if ours else self._catalogue().ugettext(string)

    def ungettext(self, singular, plural, n):
        ours = DUTCH_LENGTH_MESSAGES.get(singular) if getattr(get_locale(), "language", None) == "nl" else None
        if ours:
            return ours[0] if n == 1 else ours[1]
        return self._catalogue().ungettext(singular, plural, n)


def init_app(app: Flask) -> None:
    app.url_map.converters["int"] = BoundedIntegerConverter
    app.session_interface = SessionInterface()
    render_csrf_fields_without_id()
    wtforms_messages = WTFormsMessages()
    app.before_request(lambda: setattr(request, "wtforms_translations", wtforms_messages))
    babel.init_app(app, locale_selector=select_locale)
    install_template_gettext(app)
    formats.install(babel)
    app.jinja_env.filters["dateformat"] = formats.format_day
    app.add_template_filter(formats.machine_datetime, "machine_datetime")
    app.add_template_global(formats.time_span, "time_span")
    app.after_request(add_security_headers)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(Exception, handle_unexpected_error)
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.globals.update(is_safe_next=is_safe_next, url_for=template_url_for(app))
    if app.testing:
        app.jinja_env.undefined = StrictUndefined

    @app.context_processor
    def inject_globals():
        return {"can": can, "current_locale": str(get_locale() or "nl")}


def install_template_gettext(app: Flask) -> None:
    """Templates translate through the domain directly: Flask-Babel's callables look the domain
    up in the request context first, for every string (the app has one domain). `_()` and
    `gettext()` skip two more calls per string (Jinja's alias that looks `gettext` up in the
    context, and its wrapper) and the formatting of a string that has nothing to format: Jinja's
    newstyle gettext runs `Markup(text) % variables` on every string, also without variables (so
    that "%%" is "%" everywhere); a text without "%" comes out of that unchanged. A form page
    translates forty to a hundred strings in its templates."""
    def translations():
        return babel.domain_instance.get_translations()

    app.jinja_env.install_gettext_callables(
        gettext=lambda string: translations().ugettext(string),
        ngettext=lambda singular, plural, n: translations().ungettext(singular, plural, n),
        pgettext=lambda context, string: translations().upgettext(context, string),
        npgettext=lambda context, singular, plural, n: translations().unpgettext(context, singular, plural, n),
        newstyle=True,
    )

    @pass_context
    def gettext(context, string: str, /, **variables) -> str:
        text = translations().ugettext(string)
        if context.eval_ctx.autoescape:
            text = Markup(text)
        return text % variables if variables or "%" in text else text

    app.jinja_env.globals.update(gettext=gettext, _=gettext)


def install_proxy_fix(app: Flask) -> None:
    """Behind a load balancer: trust PROXY_FIX_HOPS proxies' X-Forwarded-* headers. The outermost
    middleware, installed after every other (the board refresh's shortcut must see the address and
    scheme the app sees)."""
    if app.config["PROXY_FIX_HOPS"]:
        hops = app.config["PROXY_FIX_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


URL_CACHE_ENTRIES = 4096


def template_url_for(app: Flask):
    """`url_for` for the templates, remembering what it built. A page builds some twenty-five
    addresses (menu, assets, tabs), each about 15 µs through Flask, and they are the same on
    every page. An address depends only on the endpoint, its values and the path the app is
    mounted under (no subdomains, no url_defaults, no host matching here), so that is the key;
    calls with `_external`, `_anchor` and the like, or with values that cannot be a key, go to
    Flask every time. Per app, bounded."""

    @lru_cache(maxsize=URL_CACHE_ENTRIES)
    def build(script_root: str, endpoint: str, values: tuple) -> str:
        return url_for(endpoint, **dict(values))

    def template_url_for_(endpoint: str, **values) -> str:
        if not values:
            return build(request.script_root, endpoint, ())
        if any(key.startswith("_") for key in values):
            return url_for(endpoint, **values)
        try:
            # In the caller's order: extra values become the query string in that order.
            return build(request.script_root, endpoint, tuple(values.items()))
        except TypeError:  # a list or another value that cannot be a key
            return url_for(endpoint, **values)

    return template_url_for_


def select_locale() -> str:
    """The user's choice (account, then session), else Dutch. Not the browser's language: the
    Hub's working language is Dutch and English is a choice, not a guess."""
    languages = ("nl", "en")
    if not has_request_context():
        return "nl"
    if "locale" in g:
        return g.locale
    chosen = None
    if current_user and current_user.is_authenticated:
        chosen = current_user.locale
    chosen = chosen or session.get("locale")
    g.locale = chosen if chosen in languages else "nl"
    return g.locale


# Set on every response. Written straight into the header list: Headers.set() for each, and
# `response.vary.add()` (which parses the Vary header into a set and writes it back), took 65 µs
# per response, a tenth of the board refresh's whole time.
SECURITY_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)


def add_security_headers(response):
    headers = response.headers
    present = {key.lower() for key, _ in headers}
    if "content-security-policy" not in present:
        headers.add("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    for key, value in SECURITY_HEADERS:
        if key.lower() in present:
            headers.set(key, value)
        else:
            headers.add(key, value)
    hsts = strict_transport_security()
    if hsts:
        headers.set("Strict-Transport-Security", hsts)
    if "cache-control" not in present and (headers.get("Content-Type") or "").startswith("text/html"):
        headers.add("Cache-Control", "no-store")
    add_vary(headers, "HX-Request")
    return response


def strict_transport_security() -> str | None:
    """The HSTS value for this response, or None. Only over HTTPS: a browser ignores the header on
    plain http anyway, and on the loopback default there is no TLS to pin."""
    if not request.is_secure:
        return None
    max_age = current_app.config.get("HSTS_MAX_AGE") or 0
    if max_age <= 0:
        return None
    value = f"max-age={max_age}"
    if current_app.config.get("HSTS_INCLUDE_SUBDOMAINS"):
        value += "; includeSubDomains"
    return value


FALLBACK_ERROR_PAGE = (
    '<!doctype html><html lang="nl"><head><meta charset="utf-8"><title>Er ging iets mis · Fieldlab</title>'
    '</head><body><main><h1>Er ging iets mis</h1><p>Er ging aan onze kant iets mis. Probeer het over een paar '
    'minuten opnieuw.</p><p><a href="/">Naar de startpagina</a></p></main></body></html>'
)


def render_error(status: int, message: str | None = None):
    """The Dutch page for `status`. A status without a text of its own borrows the 400 or the 500
    text but keeps its code."""
    title, text = ERROR_TEXTS.get(status) or ERROR_TEXTS[500 if status >= 500 else 400]
    template = "errors/_error.html" if htmx else "errors/error.html"
    try:
        return render_template(template, status=status, title=title, text=message or text), status
    except Exception:  # the page shell itself is broken: still no stack trace for the user
        current_app.logger.exception("error page could not be rendered")
        return FALLBACK_ERROR_PAGE, status


def handle_http_error(error: HTTPException):
    if error.code is None or error.code < 400:
        return error
    if error.code == 401:
        if htmx:
            # A login page swapped into a fragment helps nobody: app.js shows 'sessie verlopen'.
            return render_error(401)
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    description = getattr(error, "fieldlab_message", None)
    return render_error(error.code, description)


def handle_csrf_error(error: CSRFError):
    return render_error(400, _("Uw formulier is verlopen of niet geldig. Laad de pagina opnieuw en probeer het nog eens; "
                               "wat u had ingevuld staat er dan nog niet in, dus kopieer het eerst."))


def handle_unexpected_error(error: Exception):
    """Never a stack trace for the user; the transaction is rolled back so nothing is half saved."""
    if isinstance(error, HTTPException):
        return handle_http_error(error)
    db.session.rollback()
    if isinstance(error, (OverflowError, DataError)):
        # Input the database cannot hold (a number too large, a value out of range): the request is
        # wrong, not the app. Forms check their fields; this is the net under hand-parsed values.
        return render_error(400)
    current_app.logger.exception("Unhandled error on %s %s", request.method, request.path)
    if current_app.config.get("PROPAGATE_EXCEPTIONS") and current_app.testing:
        raise error
    return render_error(500)


def is_safe_next(target: str | None) -> bool:
    """Only local paths: no scheme, no host, no protocol-relative `//evil.example`, and no control
    characters (browsers drop tabs and newlines from URLs; a newline in a Location header is a 500)."""
    if not target or any(ord(character) < 32 or ord(character) == 127 for character in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//") \
        and "\\" not in target


def redirect_after_post(endpoint_or_url: str, **values):
    """Post → redirect → get for plain forms; HX-Redirect for htmx, so both end on the same page."""
    url = endpoint_or_url if endpoint_or_url.startswith("/") else url_for(endpoint_or_url, **values)
    if htmx:
        # XHR follows a 303 silently; htmx needs the header on a response it sees itself.
        return Response(status=204, headers={"HX-Redirect": url})
    return redirect(url, code=303)


def flash_saved(message: str) -> None:
    flash(message, "success")
