"""What a team achieved: the day-100 result, the opdrachtgever's view of it, and the answer to the
sustainability question six months later.

A result is written by the whole team from day 85 (every member edits, `version` refuses an edit
based on an older text) and submitted once by the team leader; after that it is the team's record
and only the opdrachtgever's view and the six-month answer are added to it. Each indicator's final
value is stored beside the result (pre-filled from the board), so the result keeps reading the same
when somebody later records another value on the board.
"""

from datetime import datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fieldlab.extensions import db
from fieldlab.models import LabelledEnum, UTCDateTime
from fieldlab.timeutil import utcnow

# The result form opens on this challenge day: two weeks before day 100 leaves time to write it.
RESULT_OPENS_ON_DAY = 85
# The sustainability question goes to the owner named under borging this long after day 100.
SUSTAINABILITY_MONTHS = 6


class GoalReached(LabelledEnum):
    YES = "yes", _l("ja")
    PARTLY = "partly", _l("deels")
    NO = "no", _l("nee")


class ResultStatus(LabelledEnum):
    DRAFT = "draft", _l("concept")
    SUBMITTED = "submitted", _l("ingediend")


class StillInUse(LabelledEnum):
    YES = "yes", _l("ja, nog in gebruik")
    PARTLY = "partly", _l("deels")
    NO = "no", _l("nee, gestopt")


class TeamResult(db.Model):
    """The day-100 result of one team's challenge."""

    __tablename__ = "team_result"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'submitted')", name="status"),
        CheckConstraint("goal_reached IS NULL OR goal_reached IN ('yes', 'partly', 'no')", name="goal_reached"),
        CheckConstraint("commissioner_grade IS NULL OR commissioner_grade BETWEEN 1 AND 10",
                        name="commissioner_grade"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"), unique=True)
    status: Mapped[str] = mapped_column(String(12), default=ResultStatus.DRAFT, index=True)
    goal_reached: Mapped[str | None] = mapped_column(String(10))
    goal_explanation: Mapped[str] = mapped_column(Text, default="")
    # What the intervention changed, and for whom.
    changes: Mapped[str] = mapped_column(Text, default="")
    lessons: Mapped[str] = mapped_column(Text, default="")
    # Borging: what happens after day 100 and who owns it.
    continuation: Mapped[str] = mapped_column(Text, default="")
    owner_name: Mapped[str] = mapped_column(String(120), default="")
    owner_organisation: Mapped[str] = mapped_column(String(200), default="")
    owner_email: Mapped[str] = mapped_column(String(254), default="")
    # Does the work reveal a structural weakness in legal processes that criminals misuse?
    reveals_weakness: Mapped[bool | None] = mapped_column(Boolean)
    weakness_summary: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    # The opdrachtgever's view, added at the day-100 return day.
    commissioner_grade: Mapped[int | None] = mapped_column()
    commissioner_follow_up: Mapped[str] = mapped_column(Text, default="")
    commissioner_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    commissioner_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    team = relationship("Team", back_populates="result")
    updated_by = relationship("User", foreign_keys=[updated_by_id])
    submitted_by = relationship("User", foreign_keys=[submitted_by_id])
    commissioner_by = relationship("User", foreign_keys=[commissioner_by_id])
    indicators: Mapped[list["ResultIndicator"]] = relationship(
        back_populates="result", cascade="all, delete-orphan", order_by="ResultIndicator.id")
    sustainability: Mapped["SustainabilityAnswer | None"] = relationship(
        back_populates="result", cascade="all, delete-orphan", uselist=False)

    @property
    def is_submitted(self) -> bool:
        return self.status == ResultStatus.SUBMITTED

    @property
    def goal_label(self) -> str:
        return GoalReached(self.goal_reached).label if self.goal_reached else ""

    @property
    def status_label(self) -> str:
        return ResultStatus(self.status).label

    def __repr__(self) -> str:
        return f"<TeamResult {self.id} team={self.team_id} {self.status}>"


class ResultIndicator(db.Model):
    """An indicator's final value at day 100, against the baseline and target of the board."""

    __tablename__ = "result_indicator"
    __table_args__ = (UniqueConstraint("result_id", "indicator_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    result_id: Mapped[int] = mapped_column(ForeignKey("team_result.id", ondelete="CASCADE"), index=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator.id", ondelete="CASCADE"), index=True)
    final_value: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    note: Mapped[str] = mapped_column(String(300), default="")

    result = relationship(TeamResult, back_populates="indicators")
    indicator = relationship("Indicator")

    @property
    def progress(self) -> float | None:
        """How far from baseline to target the final value got (1.0 = target), or None."""
        indicator = self.indicator
        if self.final_value is None or indicator.target == indicator.baseline:
            return None
        return float((self.final_value - indicator.baseline) / (indicator.target - indicator.baseline))


class SustainabilityAnswer(db.Model):
    """The owner's answer, six months after day 100, to "is the intervention still in use?".

    `nonce` makes the mailed link single-use: it is cleared when the answer is stored."""

    __tablename__ = "sustainability_answer"
    __table_args__ = (
        CheckConstraint("still_in_use IS NULL OR still_in_use IN ('yes', 'partly', 'no')", name="still_in_use"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    result_id: Mapped[int] = mapped_column(ForeignKey("team_result.id", ondelete="CASCADE"), unique=True)
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    asked_email: Mapped[str] = mapped_column(String(254), default="")
    nonce: Mapped[str | None] = mapped_column(String(40))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    still_in_use: Mapped[str | None] = mapped_column(String(10))
    led_to: Mapped[str] = mapped_column(Text, default="")
    spread: Mapped[bool | None] = mapped_column(Boolean)
    spread_regions: Mapped[str] = mapped_column(Text, default="")

    result = relationship(TeamResult, back_populates="sustainability")

    @property
    def still_in_use_label(self) -> str:
        return StillInUse(self.still_in_use).label if self.still_in_use else ""


__all__ = ["RESULT_OPENS_ON_DAY", "SUSTAINABILITY_MONTHS", "GoalReached", "ResultIndicator", "ResultStatus",
           "StillInUse", "SustainabilityAnswer", "TeamResult"]
