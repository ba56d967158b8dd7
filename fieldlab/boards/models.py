from datetime import date, timedelta

from sqlalchemy import Date, ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fieldlab.extensions import db

CHALLENGE_DAYS = 100
RETURN_DAY_NUMBERS = (1, 50, 100)


class Challenge(db.Model):
    """A team's 100-day challenge. Day n is `starts_on + (n - 1)` calendar days."""

    __tablename__ = "challenge"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"), unique=True)
    goal: Mapped[str] = mapped_column(Text, default="")
    starts_on: Mapped[date | None] = mapped_column(Date)

    team = relationship("Team", back_populates="challenge")

    def date_of_day(self, day_number: int) -> date | None:
        if self.starts_on is None:
            return None
        return self.starts_on + timedelta(days=day_number - 1)

    def day_on(self, today: date) -> int | None:
        """The challenge day `today` is, or None before day 1 or without a start date."""
        if self.starts_on is None or today < self.starts_on:
            return None
        return (today - self.starts_on).days + 1

    def __repr__(self) -> str:
        return f"<Challenge {self.id} team={self.team_id}>"
