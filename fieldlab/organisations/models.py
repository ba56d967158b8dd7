import enum

from sqlalchemy import Boolean, CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from fieldlab.extensions import db


class Sector(enum.StrEnum):
    PUBLIC = "publiek"
    PRIVATE = "privaat"


class Organisation(db.Model):
    """A partner organisation. Generic rows ("Gemeente (elke gemeente)") are kinds, not
    organisations: nobody belongs to them; facilitators add the concrete ones (Gemeente Tilburg)."""

    __tablename__ = "organisation"
    __table_args__ = (CheckConstraint("sector IN ('publiek', 'privaat')", name="sector"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    short_name: Mapped[str] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(60))
    sector: Mapped[str] = mapped_column(String(10))
    generic: Mapped[bool] = mapped_column(Boolean, default=False)
    reference: Mapped[bool] = mapped_column(Boolean, default=False)

    @property
    def is_public(self) -> bool:
        return self.sector == Sector.PUBLIC

    @property
    def display_name(self) -> str:
        """The name with the short name after it, unless the name already says it
        ("Universiteit of hogeschool (wetenschap)", short name "Wetenschap")."""
        short = (self.short_name or "").strip()
        if not short or short.lower() in self.name.lower():
            return self.name
        return f"{self.name} ({short})"

    def __repr__(self) -> str:
        return f"<Organisation {self.short_name}>"
