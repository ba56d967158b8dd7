"""The partner organisations: the reference list shipped with the app, and concrete ones added.

The reference list has two sorts of rows. Most are organisations (Nationale Politie, RIEC
Rotterdam). Some stand for a kind of which there are many ("Gemeente (elke gemeente)",
"Ondernemer"): the CSV marks them `generic`. Nobody belongs to a kind, so pickers and the
participants paste never take one as a person's organisation; where a kind is chosen they ask
which one it is and add that concrete organisation. A vraagstuk may still name a kind among the
organisations involved ("every bank" is what an opdrachtgever means there).
"""

import csv
import re
from dataclasses import dataclass
from importlib import resources

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from fieldlab import reference_cache
from fieldlab.audit import services as audit
from fieldlab.extensions import db
from fieldlab.organisations.models import KINDS, Organisation, Sector, kind_label

KIND_CHOICE_PREFIX = "soort-"

# What to ask when someone picks a kind, by the kind row's short name; the option that offers it.
# A kind row without an entry here (one added to the CSV later) gets the general wording.
KIND_QUESTIONS = {
    "Gemeente": (_l("Welke gemeente?"), _l("Een gemeente die er niet bij staat…")),
    "Provincie": (_l("Welke provincie?"), _l("Een provincie die er niet bij staat…")),
    # The ten RIECs are all in the list: no picker offers to add another, but a pasted "RIEC" is asked about.
    "RIEC": (_l("Welk RIEC?"), None),
    "Bank": (_l("Welke bank?"), _l("Een bank die er niet bij staat…")),
    "Ondernemer": (_l("Welk bedrijf?"), _l("Een bedrijf of ondernemer dat er niet bij staat…")),
    "Wetenschap": (_l("Welke universiteit of hogeschool?"),
                   _l("Een universiteit of hogeschool die er niet bij staat…")),
}
GENERAL_QUESTION = (_l("Welke organisatie?"), _l("Een andere organisatie van deze soort…"))


class OrganisationError(Exception):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def reference_rows() -> list[dict]:
    """The rows of data/organisations.csv, `generic` as a bool."""
    with resources.files("fieldlab").joinpath("data/organisations.csv").open(encoding="utf-8") as file:
        return [{**row, "generic": row.get("generic", "no").strip() == "yes"} for row in csv.DictReader(file)]


def load_reference_list() -> int:
    """Load data/organisations.csv into an empty database (first start), and add rows new in a later
    release to a filled one. Returns how many rows were added. A row whose name is already there as a
    name, or as the short name of an organisation someone added by hand, is not added twice."""
    existing = {lookup_key(name) for name in db.session.scalars(select(Organisation.name))}
    existing |= {lookup_key(short) for short in db.session.scalars(
        select(Organisation.short_name).where(Organisation.generic.is_(False)))}
    added = 0
    for row in reference_rows():
        if lookup_key(row["name"]) in existing:
            continue
        db.session.add(Organisation(
            name=row["name"], short_name=row["short_name"], kind=row["kind"], sector=row["sector"],
            generic=row["generic"], reference=True,
        ))
        existing.add(lookup_key(row["name"]))
        added += 1
    db.session.flush()
    return added


def lookup_key(text: str) -> str:
    """How a typed or pasted name is compared: case, spaces, hyphens and other punctuation do not
    count, so "riec midden nederland" finds "RIEC Midden-Nederland"."""
    return re.sub(r"[\W_]+", "", (text or "").casefold())


def concrete_organisations() -> list[Organisation]:
    """Organisations a person can belong to: all but the generic kinds."""
    return list(db.session.scalars(
        select(Organisation).where(Organisation.generic.is_(False)).order_by(func.lower(Organisation.name))
    ))


def kind_rows() -> list[Organisation]:
    """The rows that stand for a kind ("Gemeente (elke gemeente)"), in the list's order."""
    return list(db.session.scalars(
        select(Organisation).where(Organisation.generic.is_(True)).order_by(func.lower(Organisation.name))
    ))


def get(organisation_id: int) -> Organisation | None:
    return db.session.get(Organisation, organisation_id) if organisation_id else None


def organisation_rows() -> list:
    """Id, name and sector of every concrete organisation, for a select list or a filter. Only
    these columns: loading the whole reference list as ORM objects on every form and list page cost
    more than the page's other queries together."""
    return reference_cache.cached_list("organisation_rows", lambda: db.session.execute(
        select(Organisation.id, Organisation.name, Organisation.sector).where(Organisation.generic.is_(False))
        .order_by(func.lower(Organisation.name))
    ).all())


def organisation_choices() -> list[tuple[int, str]]:
    return [(row.id, row.name) for row in organisation_rows()]


def public_organisation_choices() -> list[tuple[int, str]]:
    """The concrete public organisations: who may submit a bestuurlijk signaal (the Loket's rule)."""
    return reference_cache.cached_list("public_organisation_choices", lambda: [
        (row.id, row.name) for row in organisation_rows() if row.sector == Sector.PUBLIC])


def involved_choices() -> list[tuple[int, str]]:
    """For a vraagstuk's organisations involved: the concrete ones, then the kinds, since "every
    gemeente" or "the banks" is a fair answer to who is involved in a problem."""
    return reference_cache.cached_list("involved_choices", lambda: organisation_choices() + [
        (row.id, row.name) for row in kind_rows()])


def name_lookup() -> dict[str, Organisation]:
    """Name and short name (see `lookup_key`) to organisation, for recognising typed names. A
    concrete organisation wins over a kind, a full name over another's short name."""
    lookup: dict[str, Organisation] = {}
    kinds = kind_rows()
    concrete = concrete_organisations()
    for organisation in kinds:
        lookup[lookup_key(organisation.short_name)] = organisation
    for organisation in kinds:
        lookup[lookup_key(organisation.name)] = organisation
    short_names: dict[str, Organisation] = {}
    for organisation in concrete:
        short_names.setdefault(lookup_key(organisation.short_name), organisation)
    lookup.update(short_names)
    for organisation in concrete:
        lookup[lookup_key(organisation.name)] = organisation
    lookup.pop("", None)
    return lookup


def kinds() -> list[tuple[str, str]]:
    """The kinds of the reference list, with the sector each one usually has."""
    rows = db.session.execute(
        select(Organisation.kind, Organisation.sector).where(Organisation.reference.is_(True))
        .distinct().order_by(Organisation.kind)
    )
    return [(kind, sector) for kind, sector in rows]


def kind_choices(placeholder: str | None = None) -> list[tuple[str, str]]:
    """Every kind the app knows, labelled in the reader's language, in alphabetical order of the
    label; after an empty choice labelled `placeholder` when there is one."""
    def build() -> list[tuple[str, str]]:
        known = set(KINDS) | {kind for kind, _ in kinds()}
        ordered = sorted(((kind, kind_label(kind)) for kind in known), key=lambda choice: choice[1].casefold())
        return ([("", placeholder)] if placeholder else []) + ordered

    placeholder = str(placeholder) if placeholder else None
    return reference_cache.cached_list(("kind_choices", str(get_locale()), placeholder), build)


def name_taken(name: str) -> bool:
    return find_by_name(name) is not None


def find_by_name(name: str) -> Organisation | None:
    return db.session.scalar(
        select(Organisation).where(func.lower(Organisation.name) == " ".join((name or "").split()).lower())
    )


def add_organisation(*, name: str, short_name: str, kind: str, sector: str, by, now=None) -> Organisation:
    name = " ".join(name.split())
    organisation = Organisation(
        name=name, short_name=(short_name or name).strip()[:60], kind=kind, sector=sector,
        generic=False, reference=False,
    )
    db.session.add(organisation)
    db.session.flush()
    audit.record("organisation_added", actor=by, obj=organisation, now=now)
    return organisation


# --- A kind chosen where an organisation is meant -------------------------------------------------

@dataclass(frozen=True)
class KindQuestion:
    """What a form asks when a kind is picked: "Welke gemeente?", and the option that offers it."""

    kind_row: Organisation
    question: str
    option: str | None  # None: the pickers do not offer to add one (the list is complete)

    @property
    def example(self) -> str:
        """A name as the list writes it, for the hint: "Gemeente Tilburg", "ABN AMRO"."""
        return _example(self.kind_row)

    @property
    def value(self) -> str:
        return f"{KIND_CHOICE_PREFIX}{self.kind_row.id}"

    @property
    def in_sentence(self) -> str:
        """'Welk RIEC?' after a colon: 'welk RIEC?' (an acronym keeps its capitals)."""
        return self.question[:1].lower() + self.question[1:]


def question_for(kind_row: Organisation) -> KindQuestion:
    question, option = KIND_QUESTIONS.get(kind_row.short_name, GENERAL_QUESTION)
    return KindQuestion(kind_row=kind_row, question=str(question), option=str(option) if option else None)


def kind_questions() -> list[KindQuestion]:
    """The kinds a picker offers to add a concrete organisation of, ordered by what they say."""
    questions = [question_for(row) for row in kind_rows()]
    return sorted((question for question in questions if question.option), key=lambda q: q.option.casefold())


def kind_row_for(value: str) -> Organisation | None:
    """The kind row a picker value ("soort-12") stands for, or None."""
    if not (value or "").startswith(KIND_CHOICE_PREFIX):
        return None
    number = value.removeprefix(KIND_CHOICE_PREFIX)
    if not number.isdigit():
        return None
    row = db.session.get(Organisation, int(number))
    return row if row is not None and row.generic else None


def check_concrete_name(kind_row: Organisation, name: str) -> None:
    """Refuse what cannot be the concrete organisation of this kind: nothing, too long, or another
    kind ("Bank (elke bank)" again)."""
    name = " ".join((name or "").split())
    question = question_for(kind_row).question
    if not name:
        raise OrganisationError(_l("%(question)s Vul de naam in.", question=question))
    if len(name) > 200:
        raise OrganisationError(_l("Een naam is hoogstens 200 tekens."))
    found = find_by_name(name) or name_lookup().get(lookup_key(name))
    if found is not None and found.generic:
        raise OrganisationError(_l("%(question)s Vul de naam van de organisatie zelf in, bijvoorbeeld %(example)s.",
                                   question=question, example=_example(kind_row)))


def _example(kind_row: Organisation) -> str:
    examples = {"gemeente": "Gemeente Tilburg", "provincie": "Provincie Noord-Brabant", "netwerk": "RIEC Rotterdam",
                "kennisinstituut": "Tilburg University", "bedrijf": "ABN AMRO"}
    return examples.get(kind_row.kind, "Gemeente Tilburg")


# Kinds whose members the list names "<Kind> <place>": asked "Welke gemeente?", people type the
# place ("Waalwijk"), and an organisation called "Waalwijk" sorted apart from every "Gemeente …".
NAMED_BY_PLACE = {"gemeente": "Gemeente", "provincie": "Provincie"}


def add_for_kind(kind_row: Organisation, name: str, *, by, now=None) -> Organisation:
    """The concrete organisation of this kind with this name: the one already in the list when the
    name (or short name) is known, else a new one with the kind's kind and sector. A gemeente or
    provincie named by its place alone gets the word in front, as the list writes them."""
    check_concrete_name(kind_row, name)
    name = " ".join(name.split())
    found = find_by_name(name) or name_lookup().get(lookup_key(name))
    if found is not None:
        return found
    prefix = NAMED_BY_PLACE.get(kind_row.kind)
    if prefix and not name.casefold().startswith(prefix.casefold() + " "):
        name = f"{prefix} {name[:1].upper()}{name[1:]}"
        found = find_by_name(name) or name_lookup().get(lookup_key(name))
        if found is not None:
            return found
    return add_organisation(name=name, short_name="", kind=kind_row.kind, sector=kind_row.sector, by=by, now=now)
