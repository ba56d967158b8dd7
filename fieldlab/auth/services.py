"""Accounts: passwords, login throttling, invitations, resets, roles and deactivation.

Services take the acting user and the time explicitly and flush; the route commits.
"""

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, g
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import STRATEGIES, RateLimiter
from sqlalchemy import Date, Integer, and_, bindparam, select
from sqlalchemy.orm import joinedload

from fieldlab import links, reference_cache
from fieldlab.audit import services as audit
from fieldlab.auth import permissions, twofactor
from fieldlab.auth.models import Role, User, normalise_email, person_matches
from fieldlab.extensions import db
from fieldlab.mail.services import FORGET_AFTER_SENDING, external_url, queue_message
from fieldlab.paging import Page, paginate
from fieldlab.timeutil import utcnow

# argon2id with the library's RFC 9106 "low memory" defaults.
_hasher = PasswordHasher()
# A hash to verify against when the e-mail is unknown, so both cases take the same time.
_DUMMY_HASH = _hasher.hash("fieldlab-timing-equaliser")


class LoginThrottled(Exception):
    """Too many wrong passwords for this account from this address, from this address, or for
    this account from everywhere."""


class CodeThrottled(Exception):
    """Too many wrong two-factor codes in this sign-in attempt (`per_attempt`) or for the account."""

    def __init__(self, per_attempt: bool):
        super().__init__(per_attempt)
        self.per_attempt = per_attempt


class AccountDeactivated(Exception):
    """The right password for a deactivated account: the person is told so, and whom to contact.
    Raised only after the password matched, so it reveals nothing to someone who does not know it."""

    def __init__(self, user: User):
        super().__init__(user.id)
        self.user = user


class InvalidToken(Exception):
    """A link that is tampered with, expired, used already or meant for something else."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(user: User | None, password: str) -> bool:
    stored = user.password_hash if user is not None and user.password_hash else _DUMMY_HASH
    try:
        _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False
    return user is not None and user.password_hash is not None


# --- Login ---------------------------------------------------------------------------------

def make_login_throttle(config) -> RateLimiter:
    """The login throttle of one app, on its RATELIMIT_STORAGE_URI (Redis with several workers).

    Kept per app rather than borrowed from the Flask-Limiter extension: that object is module-wide
    and takes the storage of whichever app called init_app last, so two apps in one process (a test
    of two workers) would share a memory store and no test could tell shared storage from per-process."""
    options = config.get("RATELIMIT_STORAGE_OPTIONS", {})
    storage = storage_from_string(config["RATELIMIT_STORAGE_URI"], **options)
    return STRATEGIES[config.get("RATELIMIT_STRATEGY") or "fixed-window"](storage)


def _throttle_keys(email: str, address: str):
    """Account and address together, so that two people who try one account (the demo
    facilitator) from two places do not lock each other out; the address alone against one
    address trying many accounts; the account alone, with a higher limit, against many addresses
    trying one account."""
    config = current_app.config
    prefix = config["RATELIMIT_KEY_PREFIX"]
    account = normalise_email(email)
    address = address or "unknown"
    return (
        (parse(config["LOGIN_FAILURES_PER_ACCOUNT_ADDRESS"]), prefix, "login-account-address", account, address),
        (parse(config["LOGIN_FAILURES_PER_ADDRESS"]), prefix, "login-address", address),
        (parse(config["LOGIN_FAILURES_PER_ACCOUNT"]), prefix, "login-account", account),
    )


def _code_throttle_keys(user: User, attempt: str):
    """Wrong codes per sign-in attempt (one correct password in one browser) and per account."""
    config = current_app.config
    prefix = config["RATELIMIT_KEY_PREFIX"]
    return (
        (parse(config["TWO_FACTOR_FAILURES_PER_ATTEMPT"]), prefix, "code-attempt", str(user.id), attempt),
        (parse(config["TWO_FACTOR_FAILURES_PER_ACCOUNT"]), prefix, "code-account", str(user.id)),
    )


def _allowed(keys) -> bool:
    strategy = current_app.extensions["fieldlab.login_throttle"]
    return all(strategy.test(limit, *identifiers) for limit, *identifiers in keys)


def _hit(keys) -> None:
    strategy = current_app.extensions["fieldlab.login_throttle"]
    for limit, *identifiers in keys:
        strategy.hit(limit, *identifiers)


def login_allowed(email: str, address: str) -> bool:
    return _allowed(_throttle_keys(email, address))


def record_login_failure(email: str, address: str) -> None:
    _hit(_throttle_keys(email, address))


def authenticate(email: str, password: str, *, address: str, now: datetime | None = None) -> User | None:
    """The user for these credentials, or None. Only failures count towards the throttle, in the
    throttle's shared storage (Redis with several workers), per account and per address. An unknown
    e-mail is throttled and answered exactly like a wrong password: no account enumeration.
    The login itself is recorded by `complete_login`, after a second step where one is needed.
    The right password for a deactivated account raises AccountDeactivated."""
    now = now or utcnow()
    user = User.by_email(email)
    if not login_allowed(email, address):
        audit.record("login_throttled", subject_user=user, now=now)
        raise LoginThrottled()
    if password_matches(user, password):
        if not user.active:
            # Not a failure: the password was right, so it does not count towards the throttle
            # (which was checked above, before anything was revealed).
            audit.record("login_refused_deactivated", subject_user=user, now=now)
            raise AccountDeactivated(user)
        return user
    record_login_failure(email, address)
    audit.record("login_failed", subject_user=user, now=now,
                 reason="unknown_account" if user is None else "wrong_password")
    return None


def complete_login(user: User, *, now: datetime | None = None) -> None:
    now = now or utcnow()
    user.last_login_at = now
    audit.record("login", actor=user, now=now)


def check_second_step(user: User, code: str, *, attempt: str, now: datetime | None = None):
    """The authenticator (or recovery) code after a correct password. A wrong code counts
    towards the code limits of this sign-in attempt and of the account, never towards the
    password's: a right password stays right. A code that was already used (someone else signed
    in with it a moment ago, or a second tab) counts for nothing: its answer asks for the next one.
    Returns the `twofactor.CodeCheck`; raises CodeThrottled when a limit is reached."""
    now = now or utcnow()
    keys = _code_throttle_keys(user, attempt)
    per_attempt, per_account = keys
    if not _allowed((per_account,)):
        audit.record("login_throttled", subject_user=user, now=now, reason="codes_per_account")
        raise CodeThrottled(per_attempt=False)
    if not _allowed((per_attempt,)):
        audit.record("login_throttled", subject_user=user, now=now, reason="codes_per_attempt")
        raise CodeThrottled(per_attempt=True)
    outcome = twofactor.check(user, code, now=now)
    if outcome is twofactor.CodeCheck.WRONG:
        _hit(keys)
        audit.record("login_failed", subject_user=user, now=now, reason="wrong_code")
    elif outcome is twofactor.CodeCheck.USED_BEFORE:
        audit.record("login_failed", subject_user=user, now=now, reason="used_code")
    return outcome


def logout(user: User, *, now: datetime | None = None) -> None:
    """End every session of this user, not only the cookie in this browser."""
    user.end_all_sessions()
    audit.record("logout", actor=user, now=now)


def change_password(user: User, new_password: str, *, now: datetime | None = None) -> None:
    user.password_hash = hash_password(new_password)
    user.password_version += 1
    user.end_all_sessions()
    audit.record("password_changed", actor=user, now=now)


# --- Signed, single-purpose, single-use links ----------------------------------------------

def make_token(user: User, purpose: str) -> str:
    return links.sign(f"fieldlab.{purpose}", {"user": user.id, "version": user.password_version})


def user_for_token(token: str, purpose: str, *, max_age_seconds: int) -> User:
    """The user a link is for. A link stops working when the password changes (single use)."""
    try:
        data = links.unsign(f"fieldlab.{purpose}", token, max_age=timedelta(seconds=max_age_seconds))
    except links.LinkError as error:
        raise InvalidToken(error.reason) from error
    user = db.session.get(User, data.get("user"))
    if user is None or not user.active or user.password_version != data.get("version"):
        raise InvalidToken("used")
    return user


def request_password_reset(email: str, *, now: datetime | None = None) -> None:
    """Mail a reset link if the account exists. The caller says the same thing either way."""
    user = User.by_email(email)
    if user is None or not user.active:
        return
    now = now or utcnow()
    token = make_token(user, "reset")
    queue_message(
        key=f"reset:user{user.id}:v{user.password_version}:{int(now.timestamp())}",
        to=user.email, template="password_reset", locale=user.locale, now=now,
        user=user, link=external_url("auth.reset_password", token=token),
        hours=int(current_app.config["PASSWORD_RESET_MAX_AGE"].total_seconds() // 3600),
    )
    audit.record("password_reset_requested", subject_user=user, now=now)


def reset_password(token: str, new_password: str, *, purpose: str = "reset", now=None) -> User:
    max_age = current_app.config["PASSWORD_RESET_MAX_AGE" if purpose == "reset" else "INVITATION_MAX_AGE"]
    user = user_for_token(token, purpose, max_age_seconds=int(max_age.total_seconds()))
    change_password(user, new_password, now=now)
    audit.record("password_reset" if purpose == "reset" else "invitation_accepted", actor=user, now=now)
    return user


# --- Accounts managed by facilitators -------------------------------------------------------

@dataclass
class Invitee:
    name: str
    email: str
    organisation_id: int | None
    roles: list[Role]


def invite_user(invitee: Invitee, *, by: User, now: datetime | None = None) -> User:
    """Create the account without a password and mail a link to set one."""
    now = now or utcnow()
    user = User(
        name=invitee.name.strip(), email=normalise_email(invitee.email),
        organisation_id=invitee.organisation_id,
    )
    user.set_roles(invitee.roles)
    db.session.add(user)
    db.session.flush()
    send_invitation(user, by=by, now=now)
    audit.record("user_invited", actor=by, subject_user=user, now=now,
                 roles=sorted(role.value for role in user.roles))
    return user


def send_invitation(user: User, *, by: User, now: datetime) -> None:
    token = make_token(user, "invite")
    queue_message(
        key=f"invite-account:user{user.id}:v{user.password_version}:{int(now.timestamp())}",
        to=user.email, template="account_invitation", locale=user.locale, now=now,
        user=user, inviter=by, link=external_url("auth.accept_invitation", token=token),
        days=current_app.config["INVITATION_MAX_AGE"].days,
    )


def change_roles(user: User, roles, *, by: User, now: datetime | None = None) -> bool:
    """Save the roles; when they changed, audit before and after and mail the person. Returns
    whether anything changed (saving the same roles again does and sends nothing)."""
    now = now or utcnow()
    before = sorted(role.value for role in user.roles)
    user.set_roles(roles)
    after = sorted(role.value for role in user.roles)
    if before == after:
        return False
    event = audit.record("roles_changed", actor=by, subject_user=user, now=now, before=before, after=after)
    in_order = list(Role).index
    notify(user, "roles_changed", event=event, now=now, by=by,
           before=sorted((Role(role) for role in before), key=in_order),
           after=sorted((Role(role) for role in after), key=in_order))
    return True


def set_active(user: User, active: bool, *, by: User, now: datetime | None = None) -> bool:
    """Deactivate or reactivate, audit it and mail the person; False when it already was so
    (a second click on the confirmation sends nothing twice).

    A deactivated user's session token is kept, so their next click is recognised and answered
    with "your account is deactivated" (load_user_from_cookie_id refuses the session, as it
    refuses every inactive user); reactivating rotates it, so no old session or remember cookie
    comes back to life."""
    if user.active == active:
        return False
    now = now or utcnow()
    user.active = active
    if active:
        user.end_all_sessions()
    event = audit.record("user_reactivated" if active else "user_deactivated", actor=by, subject_user=user,
                         now=now)
    notify(user, "reactivated" if active else "deactivated", event=event, now=now, by=by)
    return True


def reset_two_factor(user: User, *, by: User, now: datetime | None = None) -> bool:
    """For someone who lost their phone and their recovery codes: two-factor off, every session
    ended, the person mailed; they set it up again at their next login."""
    if not user.has_two_factor:
        return False
    now = now or utcnow()
    event = twofactor.disable(user, by=by, now=now)
    user.end_all_sessions()
    notify(user, "two_factor_reset", event=event, now=now, by=by)
    return True


# --- Telling people what happened to their account -------------------------------------------

NOTICE_KINDS = ("deactivated", "reactivated", "roles_changed", "two_factor_reset", "erased")


def hub_contact() -> dict:
    """Whom a person turns to about their account: the Hub's contact from the settings
    (HUB_CONTACT_NAME, HUB_CONTACT_EMAIL)."""
    config = current_app.config
    return {"name": config["HUB_CONTACT_NAME"], "email": config["HUB_CONTACT_EMAIL"]}


def notify(user: User, kind: str, *, event, now: datetime, **context):
    """Mail the person what was done to their account, in their language, through the outbox.
    Keyed on the audit row of the change, so the same change is never mailed twice. The mail
    says what changed and whom to ask, nothing about any case."""
    db.session.flush()
    return queue_message(
        key=f"account-{kind}:user{user.id}:event{event.id}", to=user.email, template="account_notice",
        locale=user.locale, now=now, kind=kind, name=user.name, contact=hub_contact(),
        login_link=external_url("auth.login"), **context,
    )


def notify_erased(*, address: str, locale: str, user_id: int, now: datetime | None = None):
    """The last message to someone whose data was just erased: to the address they had, without
    their name, once per account. The outbox forgets the address once it is sent
    (mail.services.FORGET_AFTER_SENDING) and does not show it meanwhile."""
    if not address:
        return None
    return queue_message(
        # Once per account, keyed on a fingerprint of its id: the key (sent along as a mail header)
        # must not tie the pseudonym's row to the person.
        key=f"{FORGET_AFTER_SENDING}account-erased:{links.fingerprint('account-erased', str(user_id))}",
        to=address, template="account_notice",
        locale=locale or "nl", now=now or utcnow(), kind="erased", name="", contact=hub_contact(),
        login_link=external_url("auth.login"),
    )


@dataclass(frozen=True)
class SessionLogin:
    """Who a session cookie says is logged in, before anyone looked them up."""

    user_id: int
    session_token: str


def session_identifier(environ) -> str:
    """The session's browser-and-address identifier that Flask-Login's strong protection stores
    at login and compares on every request, computed from the WSGI environ. Flask-Login's own
    (`flask_login.utils._create_identifier`) reads the same two headers and the address through
    Flask's request; `wiring` installs this one in its place, so the app and the board refresh's
    shortcut (which answers before Flask builds a request) compare one and the same value. Same
    output as Flask-Login's, byte for byte (tested), so sessions from before stay valid."""
    user_agent = environ.get("HTTP_USER_AGENT")
    address = environ.get("HTTP_X_FORWARDED_FOR", environ.get("REMOTE_ADDR"))
    base = "{}|{}".format(
        None if address is None else address.encode("utf-8").split(b",")[0].strip(),
        None if user_agent is None else user_agent.encode("utf-8"))
    return hashlib.sha512(base.encode("utf-8")).hexdigest()


def session_login(session: Mapping, identifier: str) -> SessionLogin | None:
    """The login a session carries, without loading the user: for the board refresh every few
    seconds, which answers 'nothing changed' in one query. Only when the session's identifier is
    `identifier` (the request's, `session_identifier`), as Flask-Login's strong protection demands,
    and no remember cookie is waiting to be set (Flask-Login's after-request hook would write it).
    The caller must still check the token in SQL (`live_session_clause`). None: take the normal
    path."""
    user_id, _, token = (session.get("_user_id") or "").partition(":")
    if not user_id.isdigit() or not token or session.get("_id") != identifier or "_remember" in session:
        return None
    return SessionLogin(int(user_id), token)


def live_session_clause(user_id, session_token, two_factor_roles):
    """SQL on `User` (bind parameters or values): the token is this active user's current one, and
    the user passed the two-factor gate; what `load_user_from_cookie_id` and
    `routes.require_two_factor` decide after loading the user."""
    return and_(User.id == user_id, User.session_token == session_token, User.active.is_(True),
                twofactor.gate_passed_clause(user_id, two_factor_roles))


@cache
def _user_statement(with_reference_version: bool):
    """Built once (building it cost as much as running it): the user with the roles joined in,
    whether they are an alumnus (the menu's library link asks that on every page) and, where
    the database has it, the reference lists' version (`reference_cache`: every form and list
    page reads it, and on PostgreSQL a statement of its own was a round trip more)."""
    alumnus = permissions.alumnus_clause(User.id, bindparam("today", type_=Date)).label("alumnus")
    along = (reference_cache.version_column(),) if with_reference_version else ()
    return (select(User, alumnus, *along).options(joinedload(User.role_rows))
            .where(User.id == bindparam("user_id", type_=Integer)))


def load_user_from_cookie_id(cookie_id: str) -> User | None:
    """Flask-Login's loader: the id carries the user's session token, which logout rotates.
    One query per request."""
    user_id, _, token = (cookie_id or "").partition(":")
    if not user_id.isdigit() or not token:
        return None
    with_version = reference_cache.has_table(db.session.connection())
    row = db.session.execute(_user_statement(with_version),
                             {"user_id": int(user_id), "today": permissions.local_today()}).unique().first()
    if row is None:
        return None
    user, alumnus, *along = row
    if with_version:
        reference_cache.remember_version(along[0])
    if user.session_token != token:
        return None
    if not user.active:
        # This session was theirs when the account was deactivated: routes.deactivated_gate
        # tells them so (once) instead of a login page without a word.
        g.deactivated_session = True
        return None
    permissions.remember_alumnus(user.id, alumnus)
    return user


def account_or_404(user_id: int) -> User:
    """An account to manage. An erased person (fieldlab/privacy) has none: their row stays only for
    the team's history, and reactivating it or giving it roles would bring them back to life."""
    return db.first_or_404(select(User).where(User.id == user_id, User.erased_at.is_(None)))


def people_query(text: str | None = None, *, organisation: bool = False):
    """Accounts by name, optionally those whose name or e-mail address (with `organisation`, or
    organisation) contains `text` (the way a person is looked up on the accounts and privacy
    pages: a list of every account would not fit a page once the Hub has thousands)."""
    # Erased people (fieldlab/privacy) are no accounts any more: their row stays only for history.
    query = (select(User).options(joinedload(User.organisation)).where(User.erased_at.is_(None))
             .order_by(User.name, User.id))
    if text:
        query = query.where(person_matches(text, organisation=organisation))
    return query


def people_page(text: str | None, *, page: int) -> Page:
    """One page of accounts (count, rows with their organisation, their roles: three statements),
    found by name, e-mail address or organisation (people look a colleague up by where they work)."""
    return paginate(people_query(text, organisation=True), page=page)
