"""Logging in and out: where you land, what a wrong password says, and that the server ends sessions."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from fieldlab.audit.models import AuditEvent
from fieldlab.auth.models import Role
from fieldlab.extensions import db
from fieldlab.timeutil import utcnow
from tests import factories
from tests.conftest import Auth
from tests.factories import PASSWORD

SESSION_COOKIE = "fieldlab_session"
REMEMBER_COOKIE = "remember_token"
WRONG_CREDENTIALS = "Het e-mailadres of het wachtwoord klopt niet."


def post_login(client, email, password, path="/inloggen", **extra):
    return client.post(path, data={"email": email, "password": password, **extra})


def cookie_value(client, name):
    cookie = client.get_cookie(name)
    return cookie.value if cookie is not None else None


def is_logged_in(client) -> bool:
    """The home page answers only a logged-in user; anyone else is sent to the login page."""
    response = client.get("/")
    if response.status_code == 200:
        return True
    assert response.status_code == 302 and urlsplit(response.location).path == "/inloggen"
    return False


def fresh_client_with(app, **cookies):
    other = app.test_client()
    for name, value in cookies.items():
        other.set_cookie(name, value)
    return other


def test_correct_login_lands_on_home_page(client, make):
    user = make.make_user(Role.PARTICIPANT, name="Daan")
    db.session.commit()

    response = post_login(client, user.email, PASSWORD)

    assert response.status_code == 303
    assert urlsplit(response.location).path == "/"
    assert "Welkom, Daan" in client.get("/").get_data(as_text=True)
    assert db.session.get(type(user), user.id).last_login_at is not None


def test_login_ignores_case_and_spaces_in_the_email(client, make):
    make.make_user(email="sanne.smit@example.org")
    db.session.commit()

    assert post_login(client, "  Sanne.Smit@Example.org ", PASSWORD).status_code == 303


def test_wrong_password_and_unknown_email_get_the_same_answer(client, make):
    user = make.make_user()
    db.session.commit()

    wrong_password = post_login(client, user.email, "niet het goede wachtwoord")
    unknown_email = post_login(client, "niemand@example.org", "niet het goede wachtwoord")

    assert wrong_password.status_code == unknown_email.status_code == 422
    assert WRONG_CREDENTIALS in wrong_password.get_data(as_text=True)
    assert WRONG_CREDENTIALS in unknown_email.get_data(as_text=True)
    # Nothing else in the page gives away which of the two it was (CSRF tokens carry a timestamp).
    assert comparable(wrong_password, user.email) == comparable(unknown_email, "niemand@example.org")


def comparable(response, email):
    page = response.get_data(as_text=True).replace(email, "E-MAIL")
    return re.sub(r'("X-CSRFToken": "|name="csrf_token"[^>]*value="|content=")[\w.-]+', r"\1TOKEN", page)


def test_deactivated_user_with_right_password_is_told_the_account_is_deactivated(client, make):
    """Only the right password reveals it (tests/auth/test_account_notices.py has the wrong one)."""
    user = make.make_user(active=False)
    db.session.commit()

    response = post_login(client, user.email, PASSWORD)

    assert response.status_code == 403
    assert "Uw account is gedeactiveerd" in response.get_data(as_text=True)
    assert WRONG_CREDENTIALS not in response.get_data(as_text=True)


def test_invited_user_without_password_cannot_log_in(client, make):
    user = make.make_user(password=False)
    db.session.commit()

    assert post_login(client, user.email, "").status_code == 422
    assert post_login(client, user.email, PASSWORD).status_code == 422


def test_logins_and_failures_are_audited(client, make):
    user = make.make_user()
    db.session.commit()

    post_login(client, user.email, "fout wachtwoord")
    post_login(client, user.email, PASSWORD)

    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [(e.action, e.actor_id, e.subject_user_id) for e in events] == [
        ("login_failed", None, user.id),
        ("login", user.id, None),
    ]
    assert events[0].detail == {"reason": "wrong_password"}


def test_logout_ends_the_session_and_says_so(client, auth, make):
    user = make.make_user()
    db.session.commit()
    auth.login(user)

    response = auth.logout()

    assert response.status_code == 303 and urlsplit(response.location).path == "/inloggen"
    assert "U bent uitgelogd." in client.get(response.location).get_data(as_text=True)
    assert not is_logged_in(client)


def test_copied_session_cookie_stops_working_after_logout(app, client, auth, make):
    user = make.make_user()
    db.session.commit()
    auth.login(user)
    copied = cookie_value(client, SESSION_COOKIE)
    assert is_logged_in(fresh_client_with(app, **{SESSION_COOKIE: copied})), "the copy works while logged in"

    auth.logout()

    assert not is_logged_in(fresh_client_with(app, **{SESSION_COOKIE: copied}))


def test_copied_remember_cookie_stops_working_after_logout(app, client, auth, make):
    user = make.make_user()
    db.session.commit()
    auth.login(user, remember="y")
    copied = cookie_value(client, REMEMBER_COOKIE)
    assert is_logged_in(fresh_client_with(app, **{REMEMBER_COOKIE: copied})), "the copy works while logged in"

    auth.logout()

    assert not is_logged_in(fresh_client_with(app, **{REMEMBER_COOKIE: copied}))


def test_remember_cookie_is_set_only_when_asked(app, make):
    user = make.make_user()
    db.session.commit()
    forgetful, remembering = app.test_client(), app.test_client()

    post_login(forgetful, user.email, PASSWORD)
    response = post_login(remembering, user.email, PASSWORD, remember="y")

    assert forgetful.get_cookie(REMEMBER_COOKIE) is None
    assert remembering.get_cookie(REMEMBER_COOKIE) is not None
    remember_header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith(REMEMBER_COOKIE))
    assert "Secure" in remember_header and "HttpOnly" in remember_header and "SameSite=Lax" in remember_header


def test_login_starts_a_new_session(app, client, make):
    """Session fixation: the cookie a visitor had before logging in does not carry the login."""
    user = make.make_user()
    db.session.commit()
    client.get("/inloggen")
    client.post("/taal", data={"locale": "nl"})  # puts something in the anonymous session
    before = cookie_value(client, SESSION_COOKIE)
    assert before is not None

    post_login(client, user.email, PASSWORD)

    after = cookie_value(client, SESSION_COOKIE)
    assert after != before
    assert not is_logged_in(fresh_client_with(app, **{SESSION_COOKIE: before}))


def test_password_change_ends_other_sessions_but_keeps_this_one(app, make):
    user = make.make_user()
    db.session.commit()
    laptop, phone = app.test_client(), app.test_client()
    post_login(laptop, user.email, PASSWORD)
    post_login(phone, user.email, PASSWORD)

    response = laptop.post(
        "/account",
        data={
            "current_password": PASSWORD,
            "password": "een heel nieuw wachtwoord",
            "confirm": "een heel nieuw wachtwoord",
        },
    )

    assert response.status_code == 303
    assert is_logged_in(laptop)
    assert not is_logged_in(phone)
    assert post_login(phone, user.email, "een heel nieuw wachtwoord").status_code == 303


def test_password_change_with_wrong_current_password_changes_nothing(client, auth, make):
    user = make.make_user()
    db.session.commit()
    auth.login(user)
    token_before = user.session_token

    response = client.post(
        "/account",
        data={
            "current_password": "niet mijn wachtwoord",
            "password": "een heel nieuw wachtwoord",
            "confirm": "een heel nieuw wachtwoord",
        },
    )

    assert response.status_code == 422
    assert "Uw huidige wachtwoord klopt niet." in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.session_token == token_before


def test_deactivated_user_is_logged_out_at_the_next_request(app, make):
    facilitator = make.make_user(Role.FACILITATOR)
    user = make.make_user()
    db.session.commit()
    manager_client, user_client = app.test_client(), app.test_client()
    Auth(manager_client).login(facilitator)  # with the second step facilitators need
    post_login(user_client, user.email, PASSWORD, remember="y")
    assert is_logged_in(user_client)

    manager_client.post(f"/accounts/{user.id}/deactiveren")

    told = user_client.get("/")
    assert told.status_code == 303 and told.location == "/account-gedeactiveerd"
    assert not is_logged_in(user_client)


@pytest.mark.parametrize("target", ["/accounts", "/account?tab=taal"])
def test_next_redirects_to_a_local_path(client, make, target):
    user = make.make_user(Role.PARTICIPANT)
    db.session.commit()

    response = client.post(
        "/inloggen", query_string={"next": target}, data={"email": user.email, "password": PASSWORD}
    )

    assert response.status_code == 303
    assert response.location == target


@pytest.mark.parametrize("target", ["/accounts", "/account?tab=taal"])
def test_next_survives_the_second_step(client, make, target):
    user = make.make_user(Role.FACILITATOR)
    db.session.commit()

    response = client.post(
        "/inloggen", query_string={"next": target}, data={"email": user.email, "password": PASSWORD}
    )
    assert response.location == "/inloggen/code"
    response = client.post("/inloggen/code", data={"code": factories.totp_code_for(user)})

    assert response.status_code == 303
    assert response.location == target


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "https://evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "/\t/evil.example",
        " //evil.example",
        "http:/evil.example",
        "evil.example",
        "/accounts\r\nSet-Cookie: x=1",
        "/accounts\nLocation: https://evil.example",
    ],
)
def test_next_never_leaves_the_site(client, make, target):
    user = make.make_user()
    db.session.commit()

    response = client.post(
        "/inloggen", query_string={"next": target}, data={"email": user.email, "password": PASSWORD}
    )

    assert response.status_code == 303
    assert urlsplit(response.location).netloc in {"", "localhost"}
    assert urlsplit(response.location).path == "/"


def test_login_page_keeps_next_in_the_form_action(client):
    page = client.get("/inloggen?next=/accounts").get_data(as_text=True)
    assert 'action="/inloggen?next=/accounts"' in page or 'action="/inloggen?next=%2Faccounts"' in page


def test_anonymous_visitor_is_sent_to_login_with_next(client):
    response = client.get("/accounts")

    assert response.status_code == 302
    parts = urlsplit(response.location)
    assert parts.path == "/inloggen" and parse_qs(parts.query) == {"next": ["/accounts"]}


def test_next_keeps_the_query_of_the_page_asked_for(client):
    response = client.get("/uitgaande-berichten/?status=failed")

    assert parse_qs(urlsplit(response.location).query) == {"next": ["/uitgaande-berichten/?status=failed"]}


def test_logged_in_user_visiting_login_page_goes_home(client, auth, make):
    user = make.make_user()
    db.session.commit()
    auth.login(user)

    response = client.get("/inloggen")

    assert response.status_code == 302 and urlsplit(response.location).path == "/"


def test_last_login_time_is_recorded(client, make):
    user = make.make_user()
    db.session.commit()
    before = utcnow()

    post_login(client, user.email, PASSWORD)

    db.session.refresh(user)
    assert user.last_login_at >= before.replace(microsecond=0)


def test_remember_cookie_keeps_the_user_logged_in_after_the_browser_closed(app, client, auth, make):
    """The browser drops the session cookie when it closes; the remember cookie brings the user back,
    for every later click too, not only the first."""
    user = make.make_user()
    auth.login(user, remember="y")
    reopened = fresh_client_with(app, **{REMEMBER_COOKIE: cookie_value(client, REMEMBER_COOKIE)})

    assert [is_logged_in(reopened) for _ in range(3)] == [True, True, True]
    assert reopened.get_cookie(REMEMBER_COOKIE) is not None
