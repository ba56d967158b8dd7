import enum
from datetime import datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fieldlab.extensions import db
from fieldlab.models import UTCDateTime
from fieldlab.timeutil import utcnow


class TeamRole(enum.StrEnum):
    MEMBER = "member"
    LEADER = "leader"


class Team(db.Model):
    __tablename__ = "team"
    __table_args__ = (UniqueConstraint("lab_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lab_id: Mapped[int] = mapped_column(ForeignKey("lab.id", ondelete="CASCADE"), index=True)
    problem_id: Mapped[int | None] = mapped_column(ForeignKey("problem.id", ondelete="SET NULL"), index=True)
    name: Mapped[str] = mapped_column(String(80))

    lab = relationship("Lab", back_populates="teams")
    problem = relationship("Problem")
    memberships: Mapped[list["Membership"]] = relationship(back_populates="team", cascade="all, delete-orphan")
    challenge = relationship("Challenge", back_populates="team", uselist=False, cascade="all, delete-orphan")
    result = relationship("TeamResult", back_populates="team", uselist=False, passive_deletes=True)

    @property
    def member_ids(self) -> set[int]:
        return {membership.user_id for membership in self.memberships}

    def __repr__(self) -> str:
        return f"<Team {self.id}>"


class Membership(db.Model):
    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("team_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20), default=TeamRole.MEMBER)

    team = relationship(Team, back_populates="memberships")
    user = relationship("User")


class TeamDraft(db.Model):
    """The team formation of one Lab while the facilitators work on it: who is in which team, who
    is pinned, the weights and target sizes. `version` rises with every change; a change based on
    an older version (a second facilitator working at the same time) is refused, never merged."""

    __tablename__ = "team_draft"

    id: Mapped[int] = mapped_column(primary_key=True)
    lab_id: Mapped[int] = mapped_column(ForeignKey("lab.id", ondelete="CASCADE"), unique=True)
    version: Mapped[int] = mapped_column(default=1)
    seed: Mapped[int] = mapped_column(default=0)
    # {"coverage": 4, "organisations": 2, "levels": 2, "sectors": 1, "weakest": 1}
    weights: Mapped[dict] = mapped_column(JSON, default=dict)
    # {"<team id>": size}: exact sizes the facilitator set; other teams are balanced.
    target_sizes: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    lab = relationship("Lab")
    placements: Mapped[list["DraftPlacement"]] = relationship(back_populates="draft", cascade="all, delete-orphan")
    pair_rules: Mapped[list["PairRule"]] = relationship(back_populates="draft", cascade="all, delete-orphan",
                                                        order_by="PairRule.id")

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<TeamDraft lab={self.lab_id} v{self.version}>"


class DraftPlacement(db.Model):
    """One participant's place in the draft: a team (or none yet) and whether it is pinned."""

    __tablename__ = "draft_placement"
    __table_args__ = (UniqueConstraint("draft_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("team_draft.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id", ondelete="SET NULL"))
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)

    draft = relationship(TeamDraft, back_populates="placements")
    user = relationship("User")


class PairKind(enum.StrEnum):
    APART = "apart"
    TOGETHER = "together"


class PairRule(db.Model):
    """Two participants who must be in different teams (conflict of interest, same unit) or together."""

    __tablename__ = "pair_rule"
    __table_args__ = (
        UniqueConstraint("draft_id", "first_user_id", "second_user_id"),
        CheckConstraint("kind IN ('apart', 'together')", name="kind"),
        CheckConstraint("first_user_id < second_user_id", name="ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("team_draft.id", ondelete="CASCADE"), index=True)
    first_user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    second_user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))

    draft = relationship(TeamDraft, back_populates="pair_rules")
    first_user = relationship("User", foreign_keys=[first_user_id])
    second_user = relationship("User", foreign_keys=[second_user_id])
