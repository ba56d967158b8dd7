"""The web shell: Dutch error pages (page or htmx fragment), rollback on errors, security headers,
cookie flags, CSRF on every POST, and the language switch."""

import re
import time

import itsdangerous
import pytest
from flask import Blueprint, abort
from flask import request as flask_request
from sqlalchemy import func, select
from werkzeug.routing import IntegerConverter

from fieldlab import csrf_tokens
from fieldlab.auth.models import Role, User
from fieldlab.config import environment_settings
from fieldlab.extensions import db
from fieldlab.organisations.models import Organisation
from fieldlab.web import ERROR_TEXTS, MAX_INT_ARGUMENT, to_int

HTMX = {"HX-Request": "true"}
CSRF_REFUSED = "Uw formulier is verlopen of niet geldig."


@pytest.fixture
def error_routes(app):
    """A throwaway blueprint with routes that fail on purpose (registered before any request)."""
    bp = Blueprint("test_errors", __name__, url_prefix="/test-fouten")

    @bp.get("/<int:code>")
    def fail_with(code):
        abort(code)

    @bp.post("/half-opgeslagen")
    def crash_halfway():
        db.session.add(
            Organisation(name="Half opgeslagen", short_name="Half", kind="gemeente", sector="publiek")
        )
        db.session.flush()
        raise RuntimeError("boom")

    @bp.post("/dubbel")
    def crash_in_the_database():
        """A failed flush leaves the session unusable until rolled back; the error page still renders."""
        db.session.add(Organisation(name="Eerste", short_name="E", kind="gemeente", sector="publiek"))
        db.session.add(Organisation(name="Dubbel", short_name="D", kind="gemeente", sector="publiek"))
        db.session.add(Organisation(name="Dubbel", short_name="D", kind="gemeente", sector="publiek"))
        db.session.flush()

    app.register_blueprint(bp)
    return bp


def organisation_count(name) -> int:
    return db.session.scalar(select(func.count()).select_from(Organisation).where(Organisation.name == name))


# --- Error pages ---------------------------------------------------------------------------


@pytest.mark.parametrize("code", [400, 403, 404, 405, 409, 422, 429, 500])
def test_error_is_a_full_dutch_page(error_routes, client, code):
    response = client.get(f"/test-fouten/{code}")

    assert response.status_code == code
    page = response.get_data(as_text=True)
    title, text = ERROR_TEXTS[code]
    assert page.startswith("<!doctype html>") and '<html lang="nl">' in page
    assert f'<h1 id="error-title">{title}</h1>' in page
    assert str(text) in page
    assert f"Foutcode {code}" in page


@pytest.mark.parametrize("code", [400, 403, 404, 405, 422, 429, 500])
def test_error_for_htmx_is_a_fragment(error_routes, client, code):
    response = client.get(f"/test-fouten/{code}", headers=HTMX)

    assert response.status_code == code
    fragment = response.get_data(as_text=True)
    assert "<html" not in fragment and "<body" not in fragment
    assert fragment.lstrip().startswith('<section class="error-page"')
    assert str(ERROR_TEXTS[code][0]) in fragment
    assert "HX-Request" in response.headers.get("Vary", "")


@pytest.mark.parametrize("code, like", [(410, 400), (415, 400), (501, 500), (503, 500)])
def test_other_errors_keep_their_status_with_the_nearest_dutch_text(error_routes, client, code, like):
    response = client.get(f"/test-fouten/{code}")

    assert response.status_code == code
    assert str(ERROR_TEXTS[like][0]) in response.get_data(as_text=True)


def test_too_many_reset_requests_get_the_dutch_429_page(client):
    for _ in range(5):
        assert client.post("/wachtwoord-vergeten", data={"email": "iemand@example.org"}).status_code == 303

    response = client.post("/wachtwoord-vergeten", data={"email": "iemand@example.org"})

    assert response.status_code == 429
    assert "U heeft dit te vaak geprobeerd." in response.get_data(as_text=True)


def test_the_rate_limiter_adds_no_work_to_every_request(app):
    """Only the decorated route is limited (the test above); no hook of the limiter runs for the
    other requests."""
    from fieldlab.extensions import limiter

    hooks = [*app.before_request_funcs[None], *app.after_request_funcs[None], *app.teardown_request_funcs[None]]
    assert not [hook for hook in hooks if limiter._owns(hook)]
    assert "flask_limiter" not in repr(hooks)


def test_the_rate_limiter_refuses_limits_it_would_not_enforce():
    from flask import Flask
    from flask_limiter.util import get_remote_address

    from fieldlab.extensions import RouteLimiter

    app = Flask(__name__)
    app.config.update(RATELIMIT_DEFAULT="100 per minute", RATELIMIT_STORAGE_URI="memory://")
    with pytest.raises(RuntimeError, match="only limits on routes"):
        RouteLimiter(key_func=get_remote_address).init_app(app)


def test_anonymous_htmx_request_gets_401_instead_of_the_login_page(client):
    """htmx cannot show a login page inside a fragment; app.js turns a 401 into 'Uw sessie is verlopen'."""
    response = client.get("/accounts", headers=HTMX)

    assert response.status_code == 401
    assert "<html" not in response.get_data(as_text=True)
    assert "Log opnieuw in" in response.get_data(as_text=True)


def test_htmx_request_after_logout_gets_401(client, login_as, auth):
    login_as(Role.FACILITATOR)
    auth.logout()

    assert client.post("/accounts/1/deactiveren", headers=HTMX).status_code == 401


def test_real_404_405_and_403_are_dutch(client, login_as):
    login_as(Role.PARTICIPANT)

    assert "Pagina niet gevonden" in client.get("/bestaat-niet").get_data(as_text=True)
    not_allowed = client.get("/uitloggen")
    assert not_allowed.status_code == 405 and "Actie niet toegestaan" in not_allowed.get_data(as_text=True)
    forbidden = client.get("/accounts")
    assert forbidden.status_code == 403 and "Geen toegang" in forbidden.get_data(as_text=True)


def test_crash_gives_a_dutch_500_page_and_saves_nothing(error_routes, client, login_as):
    login_as(Role.FACILITATOR)

    response = client.post("/test-fouten/half-opgeslagen")

    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Er ging iets mis" in page and "Uw laatste wijziging is niet opgeslagen." in page
    assert "RuntimeError" not in page and "Traceback" not in page
    db.session.commit()
    assert organisation_count("Half opgeslagen") == 0


def test_database_error_gives_a_dutch_500_page_and_saves_nothing(error_routes, client, login_as):
    login_as(Role.FACILITATOR, name="Fenna")

    response = client.post("/test-fouten/dubbel")

    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Er ging iets mis" in page
    assert "Fenna" in page, "the page still knows who is logged in"
    assert organisation_count("Eerste") == 0


def test_crash_in_htmx_request_gives_a_fragment(error_routes, client, login_as):
    login_as(Role.FACILITATOR)

    response = client.post("/test-fouten/half-opgeslagen", headers=HTMX)

    assert response.status_code == 500
    assert "<html" not in response.get_data(as_text=True)
    assert "Er ging iets mis" in response.get_data(as_text=True)


def test_the_next_request_after_a_crash_works(error_routes, client, login_as):
    login_as(Role.FACILITATOR)
    client.post("/test-fouten/half-opgeslagen")

    assert client.get("/").status_code == 200


# --- Security headers and cookies ----------------------------------------------------------


def get_pages(app):
    """Every GET page without URL arguments (the static route needs a filename)."""
    return sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and not rule.arguments and rule.endpoint != "static"
    )


def assert_secure_headers(response):
    csp = response.headers.get("Content-Security-Policy", "")
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"


def assert_no_inline_script_or_style(page):
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), "inline script"
    assert not re.search(r"\sstyle=", page), "style attribute"
    assert not re.search(r"\son[a-z]+=", page), "inline event handler"


@pytest.mark.parametrize("role", [None, *Role])
def test_every_page_has_security_headers_and_no_inline_script(app, client, login_as, role):
    if role is not None:
        login_as(role)
    for path in get_pages(app):
        response = client.get(path)
        assert_secure_headers(response)
        if response.mimetype == "text/html":
            assert response.headers["Cache-Control"] == "no-store", path
            assert_no_inline_script_or_style(response.get_data(as_text=True))


def test_static_files_and_error_pages_have_security_headers(client):
    assert_secure_headers(client.get("/static/css/app.css"))
    assert_secure_headers(client.get("/bestaat-niet"))


def test_https_requests_get_hsts(client):
    response = client.get("/inloggen", base_url="https://localhost")

    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_plain_http_on_loopback_gets_no_hsts(client):
    response = client.get("/inloggen", base_url="http://127.0.0.1:5000")

    assert "Strict-Transport-Security" not in response.headers


@pytest.mark.parametrize("app_config", [{"PROXY_FIX_HOPS": 1}])
def test_https_at_the_load_balancer_gets_hsts(client):
    """TLS ends at the proxy; its X-Forwarded-Proto makes the request secure for the app."""
    response = client.get("/inloggen", headers={"X-Forwarded-Proto": "https"})

    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


@pytest.mark.parametrize("app_config", [{"HSTS_MAX_AGE": 0}])
def test_hsts_can_be_turned_off(client):
    response = client.get("/inloggen", base_url="https://localhost")

    assert "Strict-Transport-Security" not in response.headers


def test_hsts_max_age_comes_from_the_environment():
    settings = environment_settings({"HSTS_MAX_AGE": "300", "HSTS_INCLUDE_SUBDOMAINS": "no"})

    assert settings == {"HSTS_MAX_AGE": 300, "HSTS_INCLUDE_SUBDOMAINS": False}


def session_cookie_header(response, name="fieldlab_session"):
    return next(header for header in response.headers.getlist("Set-Cookie") if header.startswith(name + "="))


def test_session_cookie_is_secure_httponly_and_lax_by_default(client, make):
    user = make.make_user()
    db.session.commit()

    response = client.post("/inloggen", data={"email": user.email, "password": "correct horse battery"})

    header = session_cookie_header(response)
    assert "; Secure" in header and "; HttpOnly" in header and "SameSite=Lax" in header


def test_session_cookie_is_flasks_own_format_both_ways(app):
    """The cheaper session interface reads what Flask's signs and the other way round, honours
    SECRET_KEY_FALLBACKS, and refuses a tampered cookie or one signed with another key."""
    from flask.sessions import SecureCookieSessionInterface
    from itsdangerous import BadSignature

    ours, flasks = app.session_interface.get_signing_serializer(app), \
        SecureCookieSessionInterface().get_signing_serializer(app)
    value = {"_user_id": "7:token", "csrf_token": "abc", "_fresh": True}

    assert flasks.loads(ours.dumps(value)) == value
    assert ours.loads(flasks.dumps(value)) == value
    cookie = ours.dumps(value)
    with pytest.raises(BadSignature):
        ours.loads(cookie[:-3] + ("AAA" if not cookie.endswith("AAA") else "BBB"))
    old_key = app.secret_key
    signed_with_old_key = flasks.dumps(value)
    app.config.update(SECRET_KEY="a new key " * 4, SECRET_KEY_FALLBACKS=[old_key])
    try:
        assert app.session_interface.get_signing_serializer(app).loads(signed_with_old_key) == value
        app.config["SECRET_KEY_FALLBACKS"] = []
        with pytest.raises(BadSignature):
            app.session_interface.get_signing_serializer(app).loads(signed_with_old_key)
    finally:
        app.config.update(SECRET_KEY=old_key, SECRET_KEY_FALLBACKS=[])


def test_read_only_accepts_and_refuses_a_cookie_as_open_session_does(app, monkeypatch):
    """`read_only` (the board refresh's way to read the session) gives what `open_session` gives
    for a good cookie and nothing where `open_session` gives an empty session: tampered, signed
    with a key that was dropped, older than the session's lifetime or signed in the future. Each
    is asked after the same cookie was read once, so a kept reading decides nothing."""
    interface = app.session_interface
    value = {"_user_id": "7:token", "_id": "abc", "csrf_token": "abc"}
    cookie = interface.get_signing_serializer(app).dumps(value)

    def opened(cookie_value):
        with app.test_request_context(headers={"Cookie": f"fieldlab_session={cookie_value}"}):
            return dict(interface.open_session(app, flask_request._get_current_object()))

    assert dict(interface.read_only(app, cookie)) == opened(cookie) == value
    with pytest.raises(TypeError):
        interface.read_only(app, cookie)["_user_id"] = "8:other"  # a reader cannot change it for the next
    tampered = cookie[:-3] + ("AAA" if not cookie.endswith("AAA") else "BBB")
    assert interface.read_only(app, tampered) is None and opened(tampered) == {}

    lifetime = int(app.permanent_session_lifetime.total_seconds())
    signed_at = int(interface.get_signing_serializer(app).loads(cookie, return_timestamp=True)[1].timestamp())
    for now, accepted in [(signed_at + lifetime, True), (signed_at + lifetime + 61, False), (signed_at - 60, False)]:
        monkeypatch.setattr(itsdangerous.TimestampSigner, "get_timestamp", lambda self, now=now: now)
        assert (interface.read_only(app, cookie) is not None) is accepted, now - signed_at
        assert (opened(cookie) == value) is accepted, now - signed_at
    monkeypatch.undo()

    old_key = app.secret_key
    app.config.update(SECRET_KEY="a new key " * 4, SECRET_KEY_FALLBACKS=[old_key])
    try:
        assert dict(interface.read_only(app, cookie)) == value
        app.config["SECRET_KEY_FALLBACKS"] = []
        assert interface.read_only(app, cookie) is None and opened(cookie) == {}
    finally:
        app.config.update(SECRET_KEY=old_key, SECRET_KEY_FALLBACKS=[])
    assert dict(interface.read_only(app, cookie)) == value


def test_a_session_with_flash_messages_is_decoded_anew_so_a_change_in_place_is_not_kept(app):
    """`open_session` keeps what a cookie decodes to; a list in it (flash messages) must not be
    the kept one, or appending to it in one request would show in the next with the same cookie."""
    interface = app.session_interface
    value = {"_user_id": "7:token", "_flashes": [["success", "Opgeslagen."]]}
    cookie = interface.get_signing_serializer(app).dumps(value)

    def opened():
        with app.test_request_context(headers={"Cookie": f"fieldlab_session={cookie}"}):
            return interface.open_session(app, flask_request._get_current_object())

    first = opened()
    first["_flashes"].append(["error", "Mislukt."])
    first["_user_id"] = "8:other"
    assert opened() == value
    plain = {"_user_id": "7:token", "_id": "abc", "csrf_token": "abc", "_fresh": True, "locale": "en"}
    cookie = interface.get_signing_serializer(app).dumps(plain)
    first = opened()
    first["_user_id"] = "8:other"
    assert opened() == plain and not opened().modified


def test_a_flash_message_shows_once_though_the_cookie_was_read_before(client, login_as):
    """The cookie that carries a flash message is read (and kept) before the page that shows it;
    the next page, with the cookie that page wrote, shows it no more."""
    login_as(Role.FACILITATOR)
    client.get("/")
    response = client.post("/taal", data={"locale": "en", "next": "/"})
    assert response.status_code == 303
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "Eenmalige melding.")]
    assert "Eenmalige melding." in client.get("/").get_data(as_text=True)
    assert "Eenmalige melding." not in client.get("/").get_data(as_text=True)


def test_the_pages_csrf_token_is_signed_once_per_session_secret_and_works(app, client, login_as):
    """Tokens have no time limit, so the token signed for the session's secret is kept: every
    page of the session carries the same one, which the app accepts; another session, another."""
    login_as(Role.FACILITATOR)

    def token_on(page: str) -> str:
        return re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)

    first, again = token_on(client.get("/").get_data(as_text=True)), token_on(client.get("/").get_data(as_text=True))
    assert first == again
    with client.session_transaction() as session:
        secret = session["csrf_token"]
    assert first == csrf_tokens.signed_token(app.secret_key, secret)
    assert first != csrf_tokens.signed_token(app.secret_key, secret + "x")
    other = app.test_client()
    assert token_on(other.get("/inloggen").get_data(as_text=True)) != first
    assert client.post("/uitloggen", headers={"X-CSRFToken": first}, csrf=False).status_code == 303
    # Logging out ended the secret: its kept token is refused from now on.
    assert client.post("/uitloggen", headers={"X-CSRFToken": first}, csrf=False).status_code == 400


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_TIME_LIMIT": 3600}])
def test_with_a_time_limit_every_page_signs_its_token_anew(app, client, login_as, monkeypatch):
    """Where tokens expire, their timestamp is their expiry: Flask-WTF signs each, as it does."""
    login_as(Role.FACILITATOR)
    now = int(time.time())
    monkeypatch.setattr(itsdangerous.TimestampSigner, "get_timestamp", lambda self: now + 1)
    first = client.get("/").get_data(as_text=True)
    monkeypatch.setattr(itsdangerous.TimestampSigner, "get_timestamp", lambda self: now + 61)
    later = client.get("/").get_data(as_text=True)
    token = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
    assert token.search(first).group(1) != token.search(later).group(1)


def test_a_request_that_only_reads_the_session_sets_no_cookie(client, login_as):
    login_as()
    client.get("/")  # the first page after logging in stores its CSRF token and takes the flash

    response = client.get("/")

    assert response.status_code == 200
    assert not [header for header in response.headers.getlist("Set-Cookie") if "fieldlab_session" in header]
    assert {"Cookie", "HX-Request"} <= {part.strip() for part in response.headers["Vary"].split(",")}


# --- CSRF ------------------------------------------------------------------------------------


def post_rules(app):
    return sorted((rule for rule in app.url_map.iter_rules() if "POST" in rule.methods), key=lambda r: r.rule)


def build_path(app, rule) -> str:
    def value_for(converter):
        if isinstance(converter, IntegerConverter):
            return 1
        if hasattr(converter, "items"):  # AnyConverter: one of a fixed set
            return sorted(converter.items)[0]
        return "x"

    values = {name: value_for(rule._converters[name]) for name in rule.arguments}
    return app.url_map.bind("localhost").build(rule.endpoint, values)


def test_there_are_post_routes_to_check(app):
    assert {rule.endpoint for rule in post_rules(app)} >= {
        "auth.login",
        "auth.logout",
        "auth.invite",
        "mail.retry",
        "organisations.index",
    }


@pytest.mark.parametrize("who", ["anonymous", "facilitator"])
def test_every_post_without_csrf_token_is_refused(app, client, login_as, make, who):
    if who == "facilitator":
        login_as(Role.FACILITATOR)
    target = make.make_user()
    db.session.commit()
    for rule in post_rules(app):
        path = build_path(app, rule).replace("/1", f"/{target.id}")
        response = client.post(path, data={"email": target.email, "password": "x"}, csrf=False)
        assert response.status_code == 400, (rule.rule, response.status_code)
        assert CSRF_REFUSED in response.get_data(as_text=True), rule.rule
    if who == "facilitator":
        assert client.get("/").status_code == 200, "still logged in: logout was refused too"


def test_htmx_post_without_csrf_token_gets_a_fragment(client, login_as):
    login_as(Role.FACILITATOR)

    response = client.post("/uitloggen", headers=HTMX, csrf=False)

    assert response.status_code == 400
    assert "<html" not in response.get_data(as_text=True)
    assert CSRF_REFUSED in response.get_data(as_text=True)


def test_csrf_token_in_header_is_accepted(client, login_as):
    """htmx sends the token from the meta tag in the X-CSRFToken header (hx-headers on <body>)."""
    login_as(Role.FACILITATOR)
    page = client.get("/").get_data(as_text=True)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)
    assert f'hx-headers=\'{{"X-CSRFToken": "{token}"}}\'' in page

    response = client.post("/uitloggen", headers={"X-CSRFToken": token}, csrf=False)

    assert response.status_code == 303


def test_csrf_token_has_no_time_limit(app):
    assert app.config["WTF_CSRF_TIME_LIMIT"] is None


# --- Language ------------------------------------------------------------------------------


def test_dutch_is_the_default(client):
    page = client.get("/inloggen", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)

    assert '<html lang="nl">' in page


def test_the_catalogue_kept_for_a_request_follows_force_locale_and_refresh(app):
    """Translations are looked up once per request and locale: a mail in another language
    (force_locale) and a language changed during the request (refresh) still get their own."""
    from flask import g, render_template_string
    from flask_babel import force_locale, gettext, refresh

    with app.test_request_context("/"):
        g.locale = "en"
        assert gettext("Kaart toevoegen") == "Add card"
        assert render_template_string("{{ _('Kaart toevoegen') }}") == "Add card"
        with force_locale("nl"):
            assert gettext("Kaart toevoegen") == "Kaart toevoegen"
            assert render_template_string("{{ _('Kaart toevoegen') }}") == "Kaart toevoegen"
        assert gettext("Kaart toevoegen") == "Add card"
        g.locale = "nl"
        refresh()
        assert gettext("Kaart toevoegen") == "Kaart toevoegen"
        assert render_template_string("{{ _('Kaart toevoegen') }}") == "Kaart toevoegen"


@pytest.mark.parametrize(("template", "expected"), [
    ("{{ _('Kaart toevoegen') }}", "Kaart toevoegen"),
    ("{{ _('100%% zeker') }}", "100% zeker"),
    ("{{ _('Hallo %(name)s', name='<b>Ans</b>') }}", "Hallo &lt;b&gt;Ans&lt;/b&gt;"),
    ("{{ gettext('%(n)s%% van het doel', n=40) }}", "40% van het doel"),
    ("{% trans name='<i>' %}Hallo {{ name }}{% endtrans %}", "Hallo &lt;i&gt;"),
    ("{% autoescape false %}{{ _('Hallo %(name)s', name='<b>') }}{% endautoescape %}", "Hallo <b>"),
    ("{{ ngettext('%(num)s kaart', '%(num)s kaarten', 3) }}", "3 kaarten"),
])
def test_template_translations_format_as_jinjas_newstyle_gettext(app, template, expected):
    """The templates' `_()` skips Jinja's formatting for a text without "%", and must give what
    Jinja's own newstyle gettext gives for every other: "%%" is "%", variables escaped."""
    from flask import render_template_string

    with app.test_request_context("/"):
        assert render_template_string(template) == expected


def test_language_switch_to_english_is_stored_on_the_user(client, login_as):
    user = login_as(Role.PARTICIPANT)

    response = client.post("/taal", data={"locale": "en", "next": "/account"})

    assert response.status_code == 303 and response.location == "/account"
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert 'value="nl" lang="nl">Nederlands</button>' in page
    assert db.session.get(User, user.id).locale == "en"


def test_stored_language_follows_the_user_to_a_new_session(app, client, login_as):
    user = login_as(Role.PARTICIPANT)
    client.post("/taal", data={"locale": "en"})
    other = app.test_client()

    other.post("/inloggen", data={"email": user.email, "password": "correct horse battery"})

    assert '<html lang="en">' in other.get("/").get_data(as_text=True)


def test_anonymous_language_switch_lasts_for_the_session(client):
    client.post("/taal", data={"locale": "en"})

    assert '<html lang="en">' in client.get("/inloggen").get_data(as_text=True)
    client.post("/taal", data={"locale": "nl"})
    assert '<html lang="nl">' in client.get("/inloggen").get_data(as_text=True)


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/", "//evil.example", "/account\r\nSet-Cookie: x=1"]
)
def test_language_switch_redirects_only_locally(client, next_url):
    response = client.post("/taal", data={"locale": "en", "next": next_url})

    assert response.location == "/"


def test_unknown_language_is_refused(client, login_as):
    user = login_as(Role.PARTICIPANT)

    client.post("/taal", data={"locale": "fr"})

    assert db.session.get(User, user.id).locale == "nl"
    assert '<html lang="nl">' in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("url", [
    "/labs/99999999999999999999999",
    "/vraagstukken/18446744073709551617",
    "/uitgaande-berichten/9223372036854775808",
])
def test_an_id_too_large_for_the_database_is_a_404_not_a_crash(client, login_as, url):
    login_as(Role.FACILITATOR)
    assert client.get(url).status_code == 404


def main_of(body: str) -> str:
    """The page's <main>, its CSRF tokens blanked: a token carries the second it was signed in, so
    two renderings a moment apart differ there and nowhere else."""
    main = re.search(r"<main.*?</main>", body, re.S).group(0)
    return re.sub(r'(<input[^>]*name="csrf_token"[^>]*value=")[^"]*"', r'\1…"', main)


@pytest.mark.parametrize("app_config", [{"PAGE_SIZE": 1}])
@pytest.mark.parametrize(("url", "plain", "shown"), [
    ("/vraagstukken/?pagina=100000000000000000000&organisatie=99999999999999999999", "/vraagstukken/",
     ["Pagina 1 van 2"]),  # both vraagstukken counted: no organisation filter
    ("/logboek/?persoon=99999999999999999999&pagina=-5", "/logboek/", ["<td>ingelogd</td>", "Fien Facilitator"]),
    ("/labs/nieuw?vraagstuk=99999999999999999999", "/labs/nieuw", ["Nieuw Lab"]),
])
def test_numbers_out_of_range_in_the_query_are_ignored(client, login_as, make, url, plain, shown):
    """The page is the one without the parameter: the first page, no filter, nothing chosen."""
    for title, place in (("Vraagstuk Vastgoed Noord", "Gemeente Noord"), ("Vraagstuk Witwassen Zuid", "Gemeente Zuid")):
        make.make_problem(make.make_user(Role.COMMISSIONER, organisation=make.make_organisation(place)), title=title)
    login_as(Role.FACILITATOR, name="Fien Facilitator")
    response = client.get(url)
    assert response.status_code == 200
    page = main_of(response.get_data(as_text=True))
    assert all(text in page for text in shown), page
    assert page == main_of(client.get(plain).get_data(as_text=True))


@pytest.mark.parametrize(("value", "expected"), [
    ("12", 12), (" 12 ", 12), (7, 7), ("0", 0), (str(MAX_INT_ARGUMENT), MAX_INT_ARGUMENT),
    (str(MAX_INT_ARGUMENT + 1), None), ("-3", None), ("12a", None), ("", None), (None, None), ("²", None),
])
def test_query_values_form_values_and_link_payloads_read_as_integers_one_way(value, expected):
    """`to_int` behind `int_arg` and the outcomes routes: a hostile value is the default, never a
    crash ("²" is a digit to str.isdigit but not to int) nor a number the database cannot hold."""
    assert to_int(value) == expected
    assert to_int(value, default=1) == (1 if expected is None else expected)


def test_template_addresses_are_flasks_also_under_a_mount_path(app):
    """The templates' url_for remembers addresses per mount path: the same address as Flask's,
    query values in the caller's order."""
    from flask import render_template_string, url_for
    from markupsafe import escape

    template = "{{ url_for('boards.board', team_id=7) }} {{ url_for('static', filename='css/app.css') }} " \
               "{{ url_for('boards.board', team_id=7, _anchor='kaart') }} " \
               "{{ url_for('boards.overview', status='open', pagina=2) }} {{ url_for('boards.overview', pagina=2, status='open') }}"
    for root in ("", "/fieldlab"):
        with app.test_request_context("/", base_url=f"http://localhost{root}/"):
            expected = f"{url_for('boards.board', team_id=7)} {url_for('static', filename='css/app.css')} " \
                       f"{url_for('boards.board', team_id=7, _anchor='kaart')} " \
                       f"{url_for('boards.overview', status='open', pagina=2)} {url_for('boards.overview', pagina=2, status='open')}"
            assert expected.startswith(root + "/teams/7/bord") and "?status=open&pagina=2" in expected
            assert render_template_string(template) == str(escape(expected))
