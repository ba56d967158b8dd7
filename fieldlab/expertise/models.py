from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fieldlab.extensions import db
from fieldlab.models import UTCDateTime
from fieldlab.timeutil import utcnow


class ExpertiseTag(db.Model):
    """One expertise tag: `key` is its canonical form (lower case, no accents, single spaces: what
    comparisons use), `label` the spelling people see and that profiles and vraagstukken store.
    A tag merged into another by a facilitator keeps its row, pointing at the one it became, so a
    later "Juridisch advies" typed the old way still lands on the merged tag."""

    __tablename__ = "expertise_tag"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(60), unique=True)
    label: Mapped[str] = mapped_column(String(60))
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("expertise_tag.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    merged_into = relationship("ExpertiseTag", remote_side=[id])

    def __repr__(self) -> str:
        return f"<ExpertiseTag {self.key!r}>"
