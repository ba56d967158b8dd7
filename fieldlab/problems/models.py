import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fieldlab.extensions import db
from fieldlab.models import UTCDateTime
from fieldlab.timeutil import utcnow


class ProblemStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return str(PROBLEM_STATUS_LABELS[self])


PROBLEM_STATUS_LABELS = {
    ProblemStatus.DRAFT: _l("concept"),
    ProblemStatus.SUBMITTED: _l("ingediend"),
    ProblemStatus.ACCEPTED: _l("geaccepteerd"),
    ProblemStatus.REJECTED: _l("afgewezen"),
    ProblemStatus.WITHDRAWN: _l("ingetrokken"),
}


class Confidentiality(enum.StrEnum):
    PUBLIC = "openbaar"
    INTERNAL = "intern"
    CONFIDENTIAL = "vertrouwelijk"


class Problem(db.Model):
    """A vraagstuk: a stuck safety problem an opdrachtgever brings to the Field Lab Hub.
    Its facts and concerns never leave the app in an e-mail; messages carry a link only."""

    __tablename__ = "problem"
    __table_args__ = (
        CheckConstraint("staff_offered >= 0", name="staff_offered"),
        CheckConstraint("confidentiality IN ('openbaar', 'intern', 'vertrouwelijk')", name="confidentiality"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    commissioner_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    lab_id: Mapped[int | None] = mapped_column(ForeignKey("lab.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    facts: Mapped[str] = mapped_column(Text, default="")
    concerns: Mapped[str] = mapped_column(Text, default="")
    theme: Mapped[str] = mapped_column(String(120), default="")
    confidentiality: Mapped[str] = mapped_column(String(20), default=Confidentiality.INTERNAL)
    status: Mapped[str] = mapped_column(String(20), default=ProblemStatus.DRAFT, index=True)
    staff_offered: Mapped[int] = mapped_column(default=0)
    expertise_needed: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Optimistic locking: an edit based on an older version is refused, never silently merged.
    version: Mapped[int] = mapped_column(default=1)

    commissioner = relationship("User")
    organisation = relationship("Organisation")
    lab = relationship("Lab", back_populates="problems")

    __mapper_args__ = {"version_id_col": version}

    @property
    def status_label(self) -> str:
        return ProblemStatus(self.status).label

    def __repr__(self) -> str:
        return f"<Problem {self.id} {self.status}>"
