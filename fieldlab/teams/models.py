import enum

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fieldlab.extensions import db


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
