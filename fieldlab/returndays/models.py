"""Terugkomdagen (return days) on day 1, 50 and 100 of a team's challenge, their invitations,
the agreements made on the day, the scheduled steps around each day and calendar feeds.

A return day belongs to one team, or to a whole Lab when the Lab plans one shared return day for
all its teams (`team_id` is then empty). Every scheduled step is a `ReturnDayJob` row that says
*when relative to its return day* it happens ("21 days before, 09:00"), so moving the day re-times
it; the scheduler's poller runs the rows that are due (see jobs.py).
"""

from datetime import date, datetime, time

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, String, Text, Time, UniqueConstraint, and_, or_
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fieldlab.extensions import db
from fieldlab.models import LabelledEnum, UTCDateTime
from fieldlab.timeutil import utcnow

DEFAULT_INVITATION_DAYS_BEFORE = 21


class ReturnDayStatus(LabelledEnum):
    PROPOSED = "proposed", _l("voorgesteld")
    CONFIRMED = "confirmed", _l("vastgelegd")
    CANCELLED = "cancelled", _l("afgelast")


class InviteeRole(LabelledEnum):
    MEMBER = "member", _l("teamlid")
    MANAGER = "manager", _l("leidinggevende")
    COMMISSIONER = "commissioner", _l("opdrachtgever")
    FACILITATOR = "facilitator", _l("facilitator")
    STAKEHOLDER = "stakeholder", _l("stakeholder")


class Response(LabelledEnum):
    YES = "yes", _l("Ja")
    NO = "no", _l("Nee")
    MAYBE = "maybe", _l("Misschien")


class JobKind(LabelledEnum):
    INVITE = "invite", _l("uitnodiging")
    REMINDER = "reminder", _l("herinnering aan wie nog niet antwoordde")
    PRACTICAL = "practical", _l("praktische herinnering aan wie komt")
    NUDGE = "nudge", _l("verzoek aan het team om het bord bij te werken")
    EVALUATION = "evaluation", _l("evaluatieverzoek")


class StepStatus(LabelledEnum):
    PENDING = "pending", _l("gepland")
    DONE = "done", _l("uitgevoerd")
    SKIPPED = "skipped", _l("overgeslagen (te laat)")


# Why a step was skipped (codes stored in ReturnDayJob.skip_reason; the rules are in steps.py).
SKIP_REASONS = {
    "day_begun": _l("de terugkomdag was al begonnen"),
    "day_reached": _l("de dag van de terugkomdag was al aangebroken"),
    "step_day_passed": _l("de dag waarvoor deze herinnering bedoeld was, was al voorbij"),
    "form_closed": _l("het evaluatieformulier was al gesloten"),
    "deadline_passed": _l("de termijn om de evaluatie in te vullen was al verstreken"),
}


class LabReturnDaySetting(db.Model):
    """Per Lab: how many days before a return day the invitation goes out, and whether the Lab
    plans one shared return day for all its teams instead of one per team."""

    __tablename__ = "lab_return_day_setting"
    __table_args__ = (CheckConstraint("invitation_days_before BETWEEN 6 AND 120", name="invitation_days_before"),)

    lab_id: Mapped[int] = mapped_column(ForeignKey("lab.id", ondelete="CASCADE"), primary_key=True)
    invitation_days_before: Mapped[int] = mapped_column(default=DEFAULT_INVITATION_DAYS_BEFORE)
    shared: Mapped[bool] = mapped_column(Boolean, default=False)

    lab = relationship("Lab")


class ReturnDay(db.Model):
    """A terugkomdag. `sequence` is the iCalendar SEQUENCE: raised on every change invitees
    must hear about, so calendar clients replace the earlier version (same UID)."""

    __tablename__ = "return_day"
    __table_args__ = (
        UniqueConstraint("lab_id", "team_id", "day_number"),
        CheckConstraint("day_number IN (1, 50, 100)", name="day_number"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("status IN ('proposed', 'confirmed', 'cancelled')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lab_id: Mapped[int] = mapped_column(ForeignKey("lab.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"), index=True)
    day_number: Mapped[int] = mapped_column()
    status: Mapped[str] = mapped_column(String(12), default=ReturnDayStatus.PROPOSED)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The date the rule gave (day n, moved past weekends and holidays), and day n itself: why it
    # moved is said from the two when shown, in the reader's language (services.proposal_reason).
    proposed_on: Mapped[date | None] = mapped_column(Date)
    natural_on: Mapped[date | None] = mapped_column(Date)
    # The reason as Dutch text, as rows written before `natural_on` carry it; new rows leave it empty.
    proposal_reason: Mapped[str] = mapped_column(String(200), default="")
    place: Mapped[str] = mapped_column(String(200), default="")
    online_link: Mapped[str] = mapped_column(String(500), default="")
    agenda: Mapped[str] = mapped_column(Text, default="")
    sequence: Mapped[int] = mapped_column(default=0)
    # When invitations first went out; until then adding an invitee sends nothing yet.
    invitations_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Why it was called off: the invitees read it in the cancellation.
    cancellation_reason: Mapped[str] = mapped_column(String(500), default="", server_default="")
    # Set when the challenge's start date moved while this day was confirmed and the day no longer
    # matches the new proposal: the facilitator must re-time it or keep it deliberately (§9:
    # a confirmed date never silently falls outside its period). Cleared by either choice.
    start_moved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    lab = relationship("Lab")
    team = relationship("Team")
    invitations: Mapped[list["Invitation"]] = relationship(
        back_populates="return_day", cascade="all, delete-orphan", passive_deletes=True, order_by="Invitation.id")
    jobs: Mapped[list["ReturnDayJob"]] = relationship(
        back_populates="return_day", cascade="all, delete-orphan", passive_deletes=True, order_by="ReturnDayJob.run_at")
    actions: Mapped[list["ReturnDayAction"]] = relationship(
        back_populates="return_day", cascade="all, delete-orphan", passive_deletes=True, order_by="ReturnDayAction.id")

    @property
    def status_label(self) -> str:
        return ReturnDayStatus(self.status).label

    @property
    def is_shared(self) -> bool:
        return self.team_id is None

    @property
    def active_invitations(self) -> list["Invitation"]:
        return [invitation for invitation in self.invitations if invitation.removed_at is None]

    def __repr__(self) -> str:
        return f"<ReturnDay {self.id} day={self.day_number} {self.status}>"


def of_teams_or_shared(team_ids, lab_ids):
    """SQL on `ReturnDay`: a day of one of these teams, or one that their Labs share with all their
    teams (no team). The one rule for which return days concern a team, wherever a page names them
    (home, the vraagstuk page). `team_ids` and `lab_ids`: lists or expanding bind parameters."""
    return or_(ReturnDay.team_id.in_(team_ids), and_(ReturnDay.team_id.is_(None), ReturnDay.lab_id.in_(lab_ids)))


class Invitation(db.Model):
    """One invitee of one return day: a person with an account or a stakeholder known only by
    e-mail. `sent_sequence` is the SEQUENCE of the last invitation (or update) sent to them."""

    __tablename__ = "return_day_invitation"
    __table_args__ = (
        UniqueConstraint("return_day_id", "email"),
        CheckConstraint("response IS NULL OR response IN ('yes', 'no', 'maybe')", name="response"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    return_day_id: Mapped[int] = mapped_column(ForeignKey("return_day.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(120), default="")
    role: Mapped[str] = mapped_column(String(20))
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    response: Mapped[str | None] = mapped_column(String(10))
    remark: Mapped[str] = mapped_column(Text, default="")
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_sequence: Mapped[int | None] = mapped_column()
    first_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    return_day = relationship(ReturnDay, back_populates="invitations")
    user = relationship("User", foreign_keys=[user_id])
    added_by = relationship("User", foreign_keys=[added_by_id])

    @property
    def who(self) -> str:
        """The part of an idempotency key that names the recipient (`user7`, `guest12`)."""
        return f"user{self.user_id}" if self.user_id else f"guest{self.id}"

    @property
    def display_name(self) -> str:
        return self.name or (self.user.name if self.user else "") or self.email

    @property
    def role_label(self) -> str:
        return InviteeRole(self.role).label

    @property
    def response_label(self) -> str:
        return Response(self.response).label if self.response else str(_l("nog geen antwoord"))

    def __repr__(self) -> str:
        return f"<Invitation {self.id} returnday={self.return_day_id}>"


class ReturnDayJob(db.Model):
    """A scheduled step of a return day, stored relative to it: `days_before` the day at
    `at_local` (Europe/Amsterdam), or at the day's end. `run_at` is that moment in UTC for the
    day's current date.
    `ran_for` is the `run_at` the step last ran for: a step is pending while they differ, so
    moving the day makes it pending again. The scheduler's poller claims due pending rows."""

    __tablename__ = "return_day_job"
    __table_args__ = (UniqueConstraint("return_day_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    return_day_id: Mapped[int] = mapped_column(ForeignKey("return_day.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    days_before: Mapped[int | None] = mapped_column()
    at_local: Mapped[time | None] = mapped_column(Time)
    run_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ran_for: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    run_count: Mapped[int] = mapped_column(default=0)
    # Filled when the step came too late to make sense (see steps.py): recorded, shown, not sent.
    skip_reason: Mapped[str] = mapped_column(String(300), default="", server_default="")

    return_day = relationship(ReturnDay, back_populates="jobs")

    @property
    def job_id(self) -> str:
        return f"returnday:{self.return_day_id}:{self.kind}"

    @property
    def pending(self) -> bool:
        return self.ran_for != self.run_at

    @property
    def status(self) -> StepStatus:
        if self.pending:
            return StepStatus.PENDING
        return StepStatus.SKIPPED if self.skip_reason else StepStatus.DONE

    @property
    def kind_label(self) -> str:
        return JobKind(self.kind).label

    @property
    def skip_label(self) -> str:
        return str(SKIP_REASONS.get(self.skip_reason, self.skip_reason))

    def __repr__(self) -> str:
        return f"<ReturnDayJob {self.job_id} at={self.run_at:%Y-%m-%d %H:%M}>"


class ReturnDayAction(db.Model):
    """An agreement made on a return day: who does what by when. Open ones come back in the
    next return day's pack."""

    __tablename__ = "return_day_action"

    id: Mapped[int] = mapped_column(primary_key=True)
    return_day_id: Mapped[int] = mapped_column(ForeignKey("return_day.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"), index=True)
    description: Mapped[str] = mapped_column(Text)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    owner_name: Mapped[str] = mapped_column(String(120), default="")
    due_on: Mapped[date | None] = mapped_column(Date)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    return_day = relationship(ReturnDay, back_populates="actions")
    team = relationship("Team")
    owner = relationship("User", foreign_keys=[owner_id])

    @property
    def owner_display(self) -> str:
        return self.owner.name if self.owner else self.owner_name


class CalendarFeed(db.Model):
    """A private calendar feed URL of one user. Only a hash of the secret is stored: the URL is
    shown once, and revoking it (or making a new one) makes the old URL stop working."""

    __tablename__ = "calendar_feed"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user = relationship("User")
