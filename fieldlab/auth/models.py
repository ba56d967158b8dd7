import secrets
from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, String, exists, or_, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fieldlab.extensions import db
from fieldlab.models import LabelledEnum, UTCDateTime
from fieldlab.timeutil import utcnow


class Role(LabelledEnum):
    """Roles a person holds. Permissions are still decided per object (see permissions.py)."""

    FACILITATOR = "facilitator", _l("facilitator")
    COMMISSIONER = "commissioner", _l("opdrachtgever")
    PARTICIPANT = "participant", _l("deelnemer")
    MANAGER = "manager", _l("leidinggevende")


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


class UserRole(db.Model):
    __tablename__ = "user_role"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(20), primary_key=True)


class User(UserMixin, db.Model):
    """A person with an account. `session_token` is part of the login cookie: changing it (logout,
    password change, reactivation) ends every session of this user on the server side; a
    deactivated user's sessions are refused while it is inactive (services.load_user_from_cookie_id)."""

    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    password_hash: Mapped[str | None] = mapped_column(String(200))
    locale: Mapped[str] = mapped_column(String(5), default="nl")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Counts password changes and uses of reset links, so a reset link works once.
    password_version: Mapped[int] = mapped_column(default=0)
    # Two-factor sign-in (TOTP, RFC 6238). The last accepted time step stops a code being used twice.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[int | None]
    # When the person was erased (on request or by the retention purge, see fieldlab/privacy): the row
    # stays for what the team's history needs, under a pseudonym; lists of living people leave it out.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organisation = relationship("Organisation")
    role_rows: Mapped[list[UserRole]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by=UserRole.role
    )

    @property
    def roles(self) -> set[Role]:
        return {Role(row.role) for row in self.role_rows}

    def has_role(self, role: Role) -> bool:
        return any(row.role == role for row in self.role_rows)

    def set_roles(self, roles) -> None:
        wanted = {Role(role) for role in roles}
        self.role_rows = [row for row in self.role_rows if Role(row.role) in wanted]
        for role in sorted(wanted - self.roles):
            self.role_rows.append(UserRole(role=role.value))

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def is_erased(self) -> bool:
        return self.erased_at is not None

    @property
    def has_two_factor(self) -> bool:
        return self.totp_enabled_at is not None

    @property
    def has_password(self) -> bool:
        return self.password_hash is not None

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    def end_all_sessions(self) -> None:
        self.session_token = new_session_token()

    @staticmethod
    def by_email(email: str) -> "User | None":
        return db.session.scalar(select(User).where(User.email == normalise_email(email)))

    def __repr__(self) -> str:
        return f"<User {self.id}>"


class RecoveryCode(db.Model):
    """A one-time code to sign in when the authenticator app is lost. Only its hash is stored."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def person_matches(text: str, *, organisation: bool = False):
    """SQL on `User`: the name or e-mail address contains `text`, case ignored; with
    `organisation`, also whoever's organisation has it in its name or short name. The one way a
    person is searched for by text: the accounts page, both searches of the privacy page, the log."""
    pattern = f"%{text.lower()}%"
    found = [User.name.ilike(pattern), User.email.ilike(pattern)]
    if organisation:
        table = db.metadata.tables["organisation"]  # by name: the organisations feature comes after auth
        found.append(exists().where(table.c.id == User.organisation_id,
                                    or_(table.c.name.ilike(pattern), table.c.short_name.ilike(pattern))))
    return or_(*found)
