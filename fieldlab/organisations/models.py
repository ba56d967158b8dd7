import enum

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from fieldlab.extensions import db


class Sector(enum.StrEnum):
    PUBLIC = "publiek"
    PRIVATE = "privaat"


# Every kind of organisation the reference list uses (data/organisations.csv), with its name in the
# interface. The stored value stays the Dutch word of the list; the label is what a reader sees, so
# an English page says "municipality", not "gemeente". A kind missing here fails the tests.
KINDS = {
    "bedrijf": _l("bedrijf"),
    "beroepsorganisatie": _l("beroepsorganisatie"),
    "brancheorganisatie": _l("brancheorganisatie"),
    "gemeente": _l("gemeente"),
    "inspectie": _l("inspectie"),
    "justitie": _l("justitie"),
    "kennisinstituut": _l("kennisinstituut"),
    "ministerie": _l("ministerie"),
    "netwerk": _l("netwerk"),
    "onderwijs": _l("onderwijs"),
    "opsporing": _l("opsporingsdienst"),
    "politie": _l("politie"),
    "provincie": _l("provincie"),
    "rijksdienst": _l("rijksdienst"),
    "toezicht": _l("toezichthouder"),
}


def kind_label(kind: str) -> str:
    """The kind as the reader's language says it; an unknown kind (added outside the app) as stored."""
    label = KINDS.get(kind or "")
    return str(label) if label is not None else (kind or "")


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
    def kind_label(self) -> str:
        return kind_label(self.kind)

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
