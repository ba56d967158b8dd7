"""The 100-day challenge of a team and its board.

A challenge holds the goal, the intervention plan and the 100-day method's artefacts (team
agreement, work plan, quick win). The board's cards are the work plan: every action has exactly
one owner. `Challenge.board_version` goes up with every change on the board, so the refresh that
the browsers of the other team members make every few seconds is one indexed lookup.
"""

import enum
from datetime import date, datetime, timedelta
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fieldlab.extensions import db
from fieldlab.models import LabelledEnum, UTCDateTime
from fieldlab.timeutil import utcnow

CHALLENGE_DAYS = 100
RETURN_DAY_NUMBERS = (1, 50, 100)
QUICK_WIN_DAYS = 15


class Column(LabelledEnum):
    """The board's columns, left to right."""

    PLANNED = "planned", _l("Gepland")
    DOING = "doing", _l("Bezig")
    BLOCKED = "blocked", _l("Geblokkeerd")
    DONE = "done", _l("Klaar")


class Status(LabelledEnum):
    """The traffic light of a weekly progress update."""

    ON_TRACK = "on_track", _l("op koers")
    AT_RISK = "at_risk", _l("risico")
    BEHIND = "behind", _l("achter")


def date_of_day(starts_on: date | None, day_number: int) -> date | None:
    """The date of a challenge's day `day_number` (day 1 is the start), for a challenge that
    starts on `starts_on`; None without a start date. For pages that have the start as a column."""
    if starts_on is None:
        return None
    return starts_on + timedelta(days=day_number - 1)


def day_on(starts_on: date | None, today: date) -> int | None:
    """The challenge day `today` is, or None before day 1 or without a start date."""
    if starts_on is None or today < starts_on:
        return None
    return (today - starts_on).days + 1


class Challenge(db.Model):
    """A team's 100-day challenge. Day n is `starts_on + (n - 1)` calendar days."""

    __tablename__ = "challenge"
    __table_args__ = (CheckConstraint("hours_committed IS NULL OR hours_committed >= 0", name="hours_committed"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"), unique=True)
    goal: Mapped[str] = mapped_column(Text, default="")
    starts_on: Mapped[date | None] = mapped_column(Date)
    intervention_plan: Mapped[str] = mapped_column(Text, default="")
    # Teamafspraken: how the team works together (the 100-day method's team agreement).
    team_agreement: Mapped[str] = mapped_column(Text, default="")
    # Hours the organisations committed for the whole challenge, against the hours used in updates.
    hours_committed: Mapped[int | None] = mapped_column(Integer)
    # Raised on every change on the board (cards, events): the cheap "did anything change?" check.
    board_version: Mapped[int] = mapped_column(default=1, server_default="1")
    board_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    team = relationship("Team", back_populates="challenge")
    indicators: Mapped[list["Indicator"]] = relationship(
        back_populates="challenge", cascade="all, delete-orphan", order_by="Indicator.id")

    def date_of_day(self, day_number: int) -> date | None:
        return date_of_day(self.starts_on, day_number)

    def day_on(self, today: date) -> int | None:
        """The challenge day `today` is, or None before day 1 or without a start date."""
        return day_on(self.starts_on, today)

    def __repr__(self) -> str:
        return f"<Challenge {self.id} team={self.team_id}>"


class BoardCard(db.Model):
    """One action of the work plan, with exactly one owner. `version` counts edits of its content
    (not moves): an edit based on an older version is refused, never silently merged."""

    __tablename__ = "board_card"
    __table_args__ = (
        CheckConstraint("column_key IN ('planned', 'doing', 'blocked', 'done')", name="column_key"),
        CheckConstraint("due_day IS NULL OR (due_day BETWEEN 1 AND 100)", name="due_day"),
        CheckConstraint("NOT quick_win OR (due_day IS NOT NULL AND due_day <= 15)", name="quick_win"),
        CheckConstraint("position >= 0", name="position"),
        Index("ix_board_card_challenge_column_position", "challenge_id", "column_key", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    column_key: Mapped[str] = mapped_column(String(20), default=Column.PLANNED)
    position: Mapped[int] = mapped_column(default=0)
    due_day: Mapped[int | None] = mapped_column(Integer)
    labels: Mapped[list] = mapped_column(JSON, default=list)
    quick_win: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    challenge = relationship(Challenge)
    owner = relationship("User", foreign_keys=[owner_id])
    updated_by = relationship("User", foreign_keys=[updated_by_id])

    @property
    def column(self) -> Column:
        return Column(self.column_key)

    def __repr__(self) -> str:
        return f"<BoardCard {self.id} {self.column_key}:{self.position} v{self.version}>"


class EventKind(enum.StrEnum):
    CARD_ADDED = "card_added"
    CARD_EDITED = "card_edited"
    CARD_MOVED = "card_moved"
    CHALLENGE_EDITED = "challenge_edited"
    START_DATE_SET = "start_date_set"
    INDICATOR_ADDED = "indicator_added"
    INDICATOR_VALUE = "indicator_value"
    PROGRESS_UPDATE = "progress_update"
    LEADER_CHOSEN = "leader_chosen"
    # The start date moved while return days were confirmed: the facilitator was asked to re-plan.
    RETURN_DAYS_REVIEW = "return_days_review"


class BoardEvent(db.Model):
    """Who did what, when, on the board: the activity feed."""

    __tablename__ = "board_event"
    __table_args__ = (Index("ix_board_event_challenge_at", "challenge_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(30))
    card_id: Mapped[int | None] = mapped_column(ForeignKey("board_card.id", ondelete="SET NULL"))
    # What the sentence in the feed needs (card title, columns, value), copied so it reads the same later.
    detail: Mapped[dict] = mapped_column(JSON, default=dict)

    actor = relationship("User")

    def __repr__(self) -> str:
        return f"<BoardEvent {self.id} {self.kind}>"


class Indicator(db.Model):
    """A measurable sign of progress: where it started (baseline) and where it should be (target)."""

    __tablename__ = "indicator"

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(40), default="")
    baseline: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    target: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    challenge = relationship(Challenge, back_populates="indicators")
    values: Mapped[list["IndicatorValue"]] = relationship(
        back_populates="indicator", cascade="all, delete-orphan",
        order_by="(IndicatorValue.measured_on, IndicatorValue.id)")

    def __repr__(self) -> str:
        return f"<Indicator {self.id}>"


class IndicatorValue(db.Model):
    __tablename__ = "indicator_value"

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator.id", ondelete="CASCADE"), index=True)
    measured_on: Mapped[date] = mapped_column(Date)
    value: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    indicator = relationship(Indicator, back_populates="values")


class ProgressUpdate(db.Model):
    """The weekly voortgangsupdate: a traffic light, what went well, what is stuck, what help the
    team needs from the managers, and optionally the hours spent since the last one."""

    __tablename__ = "progress_update"
    __table_args__ = (
        CheckConstraint("status IN ('on_track', 'at_risk', 'behind')", name="status"),
        CheckConstraint("hours_spent IS NULL OR hours_spent >= 0", name="hours_spent"),
        Index("ix_progress_update_challenge_at", "challenge_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(20))
    went_well: Mapped[str] = mapped_column(Text, default="")
    stuck: Mapped[str] = mapped_column(Text, default="")
    help_needed: Mapped[str] = mapped_column(Text, default="")
    hours_spent: Mapped[int | None] = mapped_column(Integer)

    challenge = relationship(Challenge)
    author = relationship("User")

    @property
    def status_label(self) -> str:
        return Status(self.status).label

    def __repr__(self) -> str:
        return f"<ProgressUpdate {self.id} {self.status}>"


__all__ = ["CHALLENGE_DAYS", "QUICK_WIN_DAYS", "RETURN_DAY_NUMBERS", "BoardCard", "BoardEvent", "Challenge",
           "Column", "EventKind", "Indicator", "IndicatorValue", "ProgressUpdate", "Status"]
