"""Two-factor sign-in with TOTP (any authenticator app) and recovery codes.

Required for the roles in TWO_FACTOR_REQUIRED_ROLES (facilitators: they see every vraagstuk),
optional for everyone else, as OWASP ASVS level 2 and the BIO ask. A code is accepted for the
current 30-second step and one step either side (clock drift), and never twice.
"""

import enum
import hashlib
import secrets
from datetime import datetime

import pyotp
import segno
from flask import current_app
from sqlalchemy import exists, false, or_, select

from fieldlab.audit import services as audit
from fieldlab.auth.models import RecoveryCode, Role, User, UserRole
from fieldlab.extensions import db
from fieldlab.timeutil import utcnow

STEP_SECONDS = 30
RECOVERY_CODE_COUNT = 10
ISSUER = "Fieldlab"


def new_secret() -> str:
    return pyotp.random_base32()


def required_for(user: User) -> bool:
    required = {Role(role) for role in current_app.config["TWO_FACTOR_REQUIRED_ROLES"]}
    return bool(required & user.roles)


def gate_passed_clause(user_id, required_roles):
    """`required_for` in SQL on `User`: the user has two-factor sign-in or none of
    `required_roles` (the TWO_FACTOR_REQUIRED_ROLES setting, passed in so a statement built from
    this clause can be cached per setting).

    The roles are equalities, not an IN list: SQLAlchemy expands an IN list again at every
    execution, and the board refresh runs this clause every few seconds for every open board
    (the expansion was a tenth of the refresh's own work)."""
    required = [Role(role).value for role in required_roles]
    holds_required_role = or_(false(), *(UserRole.role == role for role in required))
    return or_(User.totp_enabled_at.is_not(None),
               ~exists().where(UserRole.user_id == user_id, holds_required_role))


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_code_svg(uri: str, title: str) -> str:
    """An inline SVG (no style attributes, so the CSP allows it) of the provisioning URI."""
    return segno.make(uri, error="m").svg_inline(scale=4, title=title, dark="#0f172a", light="#ffffff")


def format_secret(secret: str) -> str:
    """Groups of four, for typing it into an app by hand."""
    return " ".join(secret[index:index + 4] for index in range(0, len(secret), 4))


def _matching_step(secret: str, code: str, now: datetime, after_step: int | None) -> int | None:
    code = "".join(character for character in code if character.isdigit())
    if len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    current_step = int(now.timestamp()) // STEP_SECONDS
    for step in (current_step - 1, current_step, current_step + 1):
        if after_step is not None and step <= after_step:
            continue
        if secrets.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None


def looks_like_app_code(code: str) -> bool:
    """Six digits (spaces allowed) is what an authenticator app shows; anything else was meant as
    a recovery code. Decides which refusal a person reads: each names the code they typed."""
    return len("".join(character for character in code or "" if character.isdigit())) == 6 and \
        all(character.isdigit() or character.isspace() for character in (code or "").strip())


def _hash_recovery_code(code: str) -> str:
    normalised = "".join(character for character in code.lower() if character.isalnum())
    return hashlib.sha256(normalised.encode()).hexdigest()


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(RecoveryCode.__table__.delete().where(RecoveryCode.user_id == user.id))
    codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(RECOVERY_CODE_COUNT)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_hash_recovery_code(code)) for code in codes)
    db.session.flush()
    return codes


def enable(user: User, secret: str, code: str, *, now: datetime | None = None) -> list[str] | None:
    """Turn on two-factor sign-in once the user proves their app has the secret.
    Returns the recovery codes (shown once), or None when the code is wrong."""
    now = now or utcnow()
    step = _matching_step(secret, code, now, after_step=None)
    if step is None:
        return None
    user.totp_secret = secret
    user.totp_enabled_at = now
    user.totp_last_step = step
    audit.record("two_factor_enabled", actor=user, subject_user=user, now=now)
    return _new_recovery_codes(user)


def disable(user: User, *, by: User, now: datetime | None = None):
    """Returns the audit row (the person's notice is keyed on it)."""
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.session.execute(RecoveryCode.__table__.delete().where(RecoveryCode.user_id == user.id))
    return audit.record("two_factor_disabled", actor=by, subject_user=user, now=now)


def regenerate_recovery_codes(user: User, *, now: datetime | None = None) -> list[str]:
    audit.record("recovery_codes_regenerated", actor=user, subject_user=user, now=now)
    return _new_recovery_codes(user)


def unused_recovery_codes(user: User) -> int:
    return len(db.session.scalars(
        select(RecoveryCode.id).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    ).all())


class CodeCheck(enum.Enum):
    """What a code typed at the second step turned out to be: the answer decides the message
    (a used code asks to wait for the next one) and whether it counts towards the limits."""

    ACCEPTED = "accepted"
    USED_BEFORE = "used_before"
    WRONG = "wrong"


def check(user: User, code: str, *, now: datetime | None = None) -> CodeCheck:
    """Accept a valid, unused authenticator or recovery code (and mark it used), or say why not.
    A code of this moment or one step either side that was already used, or a used recovery code,
    is USED_BEFORE: whoever typed it had the right code, so it is not a guess."""
    now = now or utcnow()
    if not user.has_two_factor or not code:
        return CodeCheck.WRONG
    step = _matching_step(user.totp_secret, code, now, after_step=user.totp_last_step)
    if step is not None:
        user.totp_last_step = step
        return CodeCheck.ACCEPTED
    if _matching_step(user.totp_secret, code, now, after_step=None) is not None:
        return CodeCheck.USED_BEFORE
    recovery = db.session.scalar(select(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _hash_recovery_code(code),
    ))
    if recovery is None:
        return CodeCheck.WRONG
    if recovery.used_at is not None:
        return CodeCheck.USED_BEFORE
    recovery.used_at = now
    audit.record("recovery_code_used", actor=user, subject_user=user, now=now)
    return CodeCheck.ACCEPTED


def verify(user: User, code: str, *, now: datetime | None = None) -> bool:
    """A valid, unused authenticator code or recovery code for this user (marked used)."""
    return check(user, code, now=now) is CodeCheck.ACCEPTED
