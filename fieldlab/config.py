"""Defaults. `instance/config.py` and environment variables override them (in that order).

Everything that differs between the embedded default (one process, SQLite) and a scale-out
deployment (PostgreSQL, several gunicorn workers, one scheduler process) is configuration here:
no code path branches on the deployment kind.
"""

import os
from datetime import timedelta


class DefaultConfig:
    # Database: SQLite file in instance/ unless DATABASE_URL is set (see create_app).
    SQLALCHEMY_DATABASE_URI: str | None = None
    # No pool_pre_ping: fieldlab/pool.py replaces its round trip per request with a look at the
    # socket, and a SELECT 1 only for a connection idle longer than this many seconds.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    DATABASE_PING_AFTER_IDLE = 30
    # SQLite only: NORMAL flushes at WAL checkpoints, not at every commit (see fieldlab/__init__.py).
    SQLITE_SYNCHRONOUS = "NORMAL"

    # Sessions and cookies: secure by default. `fieldlab serve` on a loopback address
    # over plain http turns SESSION_COOKIE_SECURE off, because browsers drop Secure
    # cookies on http there (Safari) and the embedded default has no TLS.
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_NAME = "fieldlab_session"
    REMEMBER_COOKIE_SECURE = True
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_DURATION = timedelta(days=14)
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)

    # CSRF: tied to the session, without a time limit, so a board left open for hours still saves.
    WTF_CSRF_TIME_LIMIT = None
    WTF_CSRF_SSL_STRICT = True

    # Languages: Dutch first, English second.
    BABEL_DEFAULT_LOCALE = "nl"
    BABEL_DEFAULT_TIMEZONE = "Europe/Amsterdam"
    LANGUAGES = ("nl", "en")

    # Login throttling and other rate limits. memory:// is only right for the single-process
    # embedded default; with several workers set RATELIMIT_STORAGE_URI=redis://127.0.0.1:6379.
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = False
    RATELIMIT_KEY_PREFIX = "fieldlab"
    # Wrong passwords lock one account *from one address* (two people trying the same account
    # elsewhere do not lock each other out), one address across accounts, and, as a ceiling
    # against guessing from many addresses, one account from everywhere.
    LOGIN_FAILURES_PER_ACCOUNT_ADDRESS = "5 per 15 minutes"
    LOGIN_FAILURES_PER_ADDRESS = "20 per 15 minutes"
    LOGIN_FAILURES_PER_ACCOUNT = "50 per 15 minutes"
    # Wrong two-factor codes are a code problem with limits of their own: per sign-in attempt
    # (after the password; then the password is asked again) and, against guessing by someone
    # who knows the password, per account. A code that was already used counts for neither.
    TWO_FACTOR_FAILURES_PER_ATTEMPT = "5 per 15 minutes"
    TWO_FACTOR_FAILURES_PER_ACCOUNT = "30 per hour"
    PASSWORD_RESET_REQUESTS = "5 per hour"

    # Signed links in e-mail.
    PASSWORD_RESET_MAX_AGE = timedelta(hours=2)
    INVITATION_MAX_AGE = timedelta(days=14)
    # Speedlab join and RSVP links: invitations go out weeks ahead, and the link is used on the day.
    SPEEDLAB_LINK_MAX_AGE = timedelta(days=60)
    # Bestuurlijk signaal: the representative's link to submit definitively, the indieners' effect link.
    SIGNAL_LINK_MAX_AGE = timedelta(days=30)
    SIGNAL_EFFECT_LINK_MAX_AGE = timedelta(days=90)
    # How often a speedlab board asks "anything new?" (a 204 after one query when not).
    SPEEDLAB_POLL_SECONDS = 3

    # Mail. With no SMTP_HOST, messages stay in the outbox for a facilitator to read.
    MAIL_FROM = "Fieldlab <fieldlab@localhost>"
    SMTP_HOST = ""
    SMTP_PORT = 25
    SMTP_USERNAME = ""
    SMTP_PASSWORD = ""
    SMTP_STARTTLS = False
    SMTP_TIMEOUT = 10
    MAIL_MAX_ATTEMPTS = 10
    MAIL_FIRST_RETRY = timedelta(seconds=30)
    MAIL_MAX_RETRY = timedelta(hours=2)
    # The base URL used in e-mailed links (no request exists when a job writes a message).
    # Empty: `fieldlab serve` fills in the address it listens on; http://127.0.0.1:5000 otherwise.
    BASE_URL = ""

    # The scheduler runs in-process under `fieldlab serve`, in its own process under
    # `fieldlab scheduler`, and never under gunicorn workers or tests.
    SCHEDULER_ENABLED = False
    MAIL_DRAIN_INTERVAL = timedelta(seconds=30)
    # How often the scheduler looks for due return-day steps (a web worker writes the steps; the
    # scheduler process runs them within this interval of their moment).
    RETURNDAY_POLL_INTERVAL = timedelta(seconds=30)
    # How often a standby `fieldlab scheduler` tries the lock: it takes over within this interval.
    SCHEDULER_STANDBY_POLL = timedelta(seconds=2)
    # How often the scheduler runs due follow-up steps (fieldlab/followups), and how many failed
    # tries mark a step failed.
    FOLLOWUP_POLL_INTERVAL = timedelta(seconds=60)
    FOLLOWUP_MAX_ATTEMPTS = 10

    # Behind a load balancer: how many proxies to trust for X-Forwarded-* (ProxyFix).
    PROXY_FIX_HOPS = 0
    # Strict-Transport-Security on responses served over HTTPS (directly, or through a trusted
    # proxy that says X-Forwarded-Proto: https): browsers then refuse plain http for this long.
    # Never sent over plain http (the embedded default on loopback). 0 turns it off, e.g. while
    # a deployment still tries HTTPS out.
    HSTS_MAX_AGE = 31536000
    HSTS_INCLUDE_SUBDOMAINS = True

    # Whom people turn to about their account (named on the "account deactivated" page and in the
    # mails about account changes).
    HUB_CONTACT_NAME = ""  # empty: "de LIEC Field Lab Hub", in the reader's language
    HUB_CONTACT_EMAIL = ""

    PASSWORD_MIN_LENGTH = 10
    # AVG: personal data of a Lab is kept this long after its day 100, then anonymised.
    RETENTION_MONTHS = 24
    # Roles that must use two-factor sign-in; everyone else may turn it on.
    TWO_FACTOR_REQUIRED_ROLES = ("facilitator",)
    # How long the second step of a login may wait after the password was right.
    TWO_FACTOR_PENDING_SECONDS = 300
    ITEMS_PER_PAGE = 25
    # Rows per page of the lists that page through fieldlab/paging.py (Labs, accounts, logboek, ...).
    PAGE_SIZE = 50
    # Rendered fragments kept per process (fieldlab/fragments.py): board content, columns and feeds,
    # vraagstukken rows, home's team progress. 0 turns it off.
    FRAGMENT_CACHE_ENTRIES = 512
    # Check that views marked `reads_only` send no statement that writes or locks
    # (fieldlab/reads_only.py). On in the tests, which walk every GET route as each role; off in
    # production, where a listener on every statement cost SQLite 7-9% of a page.
    READS_ONLY_CHECK = False


# Environment variables that override settings, with their converters.
ENVIRONMENT_OVERRIDES = {
    "DATABASE_URL": ("SQLALCHEMY_DATABASE_URI", str),
    "SECRET_KEY": ("SECRET_KEY", str),
    "SQLITE_SYNCHRONOUS": ("SQLITE_SYNCHRONOUS", str),
    "RATELIMIT_STORAGE_URI": ("RATELIMIT_STORAGE_URI", str),
    "SMTP_HOST": ("SMTP_HOST", str),
    "SMTP_PORT": ("SMTP_PORT", int),
    "SMTP_USERNAME": ("SMTP_USERNAME", str),
    "SMTP_PASSWORD": ("SMTP_PASSWORD", str),
    "SMTP_STARTTLS": ("SMTP_STARTTLS", lambda value: value.lower() in {"1", "true", "yes", "ja"}),
    "MAIL_FROM": ("MAIL_FROM", str),
    "BASE_URL": ("BASE_URL", str),
    "HUB_CONTACT_NAME": ("HUB_CONTACT_NAME", str),
    "HUB_CONTACT_EMAIL": ("HUB_CONTACT_EMAIL", str),
    "PROXY_FIX_HOPS": ("PROXY_FIX_HOPS", int),
    "HSTS_MAX_AGE": ("HSTS_MAX_AGE", int),
    "HSTS_INCLUDE_SUBDOMAINS": ("HSTS_INCLUDE_SUBDOMAINS", lambda value: value.lower() in {"1", "true", "yes"}),
    "FRAGMENT_CACHE_ENTRIES": ("FRAGMENT_CACHE_ENTRIES", int),
    "PAGE_SIZE": ("PAGE_SIZE", int),
    "SESSION_COOKIE_SECURE": ("SESSION_COOKIE_SECURE", lambda value: value.lower() in {"1", "true", "yes"}),
}


def environment_settings(environ=os.environ) -> dict:
    """Settings taken from the environment, so a deployment needs no file of its own."""
    settings = {}
    for variable, (key, convert) in ENVIRONMENT_OVERRIDES.items():
        if environ.get(variable):
            settings[key] = convert(environ[variable])
    if settings.get("SESSION_COOKIE_SECURE") is not None:
        settings["REMEMBER_COOKIE_SECURE"] = settings["SESSION_COOKIE_SECURE"]
    return settings


def normalise_database_url(url: str) -> str:
    """Accept the `postgres://` and `postgresql://` forms hosting platforms hand out and use psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url
