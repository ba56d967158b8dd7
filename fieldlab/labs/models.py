from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Boolean, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fieldlab.extensions import db
from fieldlab.models import LabelledEnum, UTCDateTime
from fieldlab.timeutil import utcnow


class LabKind(LabelledEnum):
    TEAMS = "teams", _l("Field Lab voor teams")
    INDIVIDUAL = "individual", _l("Field Lab voor individuele deelnemers")
    SPEEDLAB = "speedlab", _l("Speedlab")


class Level(LabelledEnum):
    """The levels a team mixes: people from execution and policy, with management skills, and experts."""

    EXECUTION = "execution", _l("uitvoering")
    POLICY = "policy", _l("beleid")
    MANAGEMENT = "management", _l("management")
    EXPERT = "expert", _l("expert")


class Lab(db.Model):
    __tablename__ = "lab"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20))
    theme: Mapped[str] = mapped_column(String(120), default="")
    programme_starts_on: Mapped[date | None] = mapped_column(Date)
    programme_ends_on: Mapped[date | None] = mapped_column(Date)
    place: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    # When true, every participant of the Lab may read every team's board.
    boards_open_to_participants: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the retention run anonymised this Lab's participants (AVG); see fieldlab/privacy.
    personal_data_purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    facilitator_rows: Mapped[list["LabFacilitator"]] = relationship(cascade="all, delete-orphan")
    participations: Mapped[list["Participation"]] = relationship(back_populates="lab", cascade="all, delete-orphan")
    teams = relationship("Team", back_populates="lab", cascade="all, delete-orphan", order_by="Team.name")
    problems = relationship("Problem", back_populates="lab", order_by="Problem.title")
    programme_days: Mapped[list["ProgrammeDay"]] = relationship(
        back_populates="lab", cascade="all, delete-orphan", order_by="ProgrammeDay.held_on",
    )

    @property
    def kind_label(self) -> str:
        return LabKind(self.kind).label

    @property
    def facilitator_ids(self) -> set[int]:
        return {row.user_id for row in self.facilitator_rows}

    def sync_programme_dates(self) -> None:
        """`programme_starts_on`/`ends_on` (used in lists and queries) follow the programme days."""
        dates = [day.held_on for day in self.programme_days if day.held_on is not None]
        self.programme_starts_on = min(dates) if dates else None
        self.programme_ends_on = max(dates) if dates else None
        if self.programme_days and not self.place:
            self.place = self.programme_days[0].place

    def __repr__(self) -> str:
        return f"<Lab {self.id} {self.kind}>"


class ProgrammeDay(db.Model):
    """One day of a Lab's intensive programme: when and where."""

    __tablename__ = "programme_day"
    __table_args__ = (UniqueConstraint("lab_id", "held_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lab_id: Mapped[int] = mapped_column(ForeignKey("lab.id", ondelete="CASCADE"), index=True)
    held_on: Mapped[date] = mapped_column(Date)
    place: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(String(200), default="")

    lab = relationship(Lab, back_populates="programme_days")

    def __repr__(self) -> str:
        return f"<ProgrammeDay {self.held_on}>"


class LabFacilitator(db.Model):
    __tablename__ = "lab_facilitator"

    lab_id: Mapped[int] = mapped_column(ForeignKey("lab.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)

    user = relationship("User")


class Participation(db.Model):
    """A person registered as participant of a Lab, with the manager who follows them."""

    __tablename__ = "participation"
    __table_args__ = (UniqueConstraint("lab_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lab_id: Mapped[int] = mapped_column(ForeignKey("lab.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    registered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow)

    lab = relationship(Lab, back_populates="participations")
    user = relationship("User", foreign_keys=[user_id])
    manager = relationship("User", foreign_keys=[manager_id])


class ParticipantProfile(db.Model):
    """What team formation needs to know of a person: level and expertise."""

    __tablename__ = "participant_profile"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    level: Mapped[str | None] = mapped_column(String(20))
    expertise: Mapped[list] = mapped_column(JSON, default=list)
    note: Mapped[str] = mapped_column(Text, default="")

    user = relationship("User", backref=db.backref("profile", uselist=False))

    @property
    def level_label(self) -> str:
        return Level(self.level).label if self.level else ""
