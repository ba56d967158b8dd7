"""The vraagstukken list and the theme suggestions: what a person may see, as SQL, filtered,
searched, sorted and paged, and the themes the forms suggest.

It stands alone because it only reads: the workflows in services.py (submitting, reviewing,
questions, attaching to a Lab) change vraagstukken, this module lists them, and both follow the
rule of `permissions.py` ("problem.view") without needing each other.
"""

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from functools import cache

from sqlalchemy import Integer, Select, and_, bindparam, exists, false, func, literal, or_, select, union_all

from fieldlab import reference_cache
from fieldlab.auth.models import Role, User
from fieldlab.extensions import db
from fieldlab.labs.models import Lab, Participation
from fieldlab.organisations.models import Organisation
from fieldlab.paging import Page, page_size, paginate
from fieldlab.problems.models import (
    Confidentiality,
    Problem,
    ProblemQuestion,
    ProblemStatus,
    ProblemStatusLabelled,
    problem_organisation,
)
from fieldlab.teams.models import Membership, Team
from fieldlab.timeutil import LOCAL_ZONE

# The themes the forms suggest before any vraagstuk or Lab has one of its own.
THEME_SUGGESTIONS = ("mensenhandel", "vastgoed", "Preventie met Gezag", "ondermijning in het buitengebied",
                     "witwassen", "arbeidsuitbuiting", "drugscriminaliteit")


# --- Lists: the same rules as permissions.py, as SQL ------------------------------------------

def visible_problems_condition(user: User):
    """A WHERE clause with exactly the rule of `can(user, "problem.view", problem)`."""
    viewer = _viewer_kind(user)
    if viewer is None:
        return false()
    by_organisation, facilitator = viewer
    return _visible_condition(user.id, user.organisation_id if by_organisation else None,
                              facilitator=facilitator)


def _viewer_kind(user: User) -> tuple[bool, bool] | None:
    """What of the rule depends on who looks: whether they see their organisation's vraagstukken
    and whether they are a facilitator; None for nobody (logged out or deactivated), who sees none.
    One place for the list's prebuilt statement and for `visible_problems_condition`."""
    if user is None or not user.is_authenticated or not user.active:
        return None
    return (user.has_role(Role.COMMISSIONER) and user.organisation_id is not None,
            user.has_role(Role.FACILITATOR))


def _visible_condition(viewer_id, organisation_id, *, facilitator: bool):
    """The rule for an active user, with their id and their organisation (None: the vraagstukken
    of their organisation are not theirs to see) as values or bind parameters."""
    conditions = [Problem.commissioner_id == viewer_id]
    if organisation_id is not None:
        conditions.append(Problem.organisation_id == organisation_id)
    if facilitator:
        conditions.append(Problem.status != ProblemStatus.DRAFT)
    works_on = exists(
        select(Team.id).join(Membership)
        .where(Team.problem_id == Problem.id, Team.lab_id == Problem.lab_id, Membership.user_id == viewer_id)
    )
    in_lab = exists(
        select(Participation.id).where(Participation.lab_id == Problem.lab_id, Participation.user_id == viewer_id)
    )
    conditions.append(works_on)
    conditions.append(and_(Problem.lab_id.is_not(None), Problem.confidentiality != Confidentiality.CONFIDENTIAL,
                           in_lab))
    return or_(*conditions)


def visible_problems(user: User):
    """A select of the vraagstukken this user may see; add filters and order to it."""
    return select(Problem).where(visible_problems_condition(user))


@dataclass
class ProblemFilters:
    q: str = ""
    status: str = ""
    theme: str = ""
    organisation_id: int | None = None
    submitted_from: date | None = None
    submitted_to: date | None = None
    sort: str = "submitted"
    direction: str = "desc"
    page: int = 1

    @property
    def active(self) -> bool:
        return bool(self.q or self.status or self.theme or self.organisation_id or self.submitted_from
                    or self.submitted_to)

    def args(self, **changes) -> dict:
        """Query-string arguments for links (sorting, paging) that keep the other filters."""
        values = {
            "q": self.q, "status": self.status, "thema": self.theme,
            "organisatie": self.organisation_id or "", "van": self.submitted_from or "",
            "tot": self.submitted_to or "", "sorteer": self.sort, "richting": self.direction,
        }
        values.update(changes)
        return {key: value for key, value in values.items() if value not in ("", None)}


SORT_COLUMNS = {
    "title": func.lower(Problem.title),
    "status": Problem.status,
    "organisation": func.lower(Organisation.name),
    "theme": func.lower(Problem.theme),
    "submitted": Problem.submitted_at,
    "updated": Problem.updated_at,
}


def _local_day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=LOCAL_ZONE)


@dataclass(frozen=True, slots=True)
class ProblemListRow(ProblemStatusLabelled):
    """One row of the vraagstukken list: only what the list shows. Loading whole vraagstukken
    (with their organisation, Lab and questions as objects) took as long as the rest of the page."""

    id: int
    title: str
    confidentiality: str
    theme: str
    status: str
    submitted_at: datetime | None
    organisation_name: str | None
    lab_id: int | None
    lab_name: str | None
    has_open_question: bool


@cache
def _list_statement(by_organisation: bool, facilitator: bool, sort: str, descending: bool) -> Select:
    """The list's rows for an active viewer (`viewer_id`, `viewer_organisation_id`) in one order,
    built once per kind of viewer and order: building it with its EXISTS clauses and joins took
    as long as running it. Filters are added to it per request."""
    open_question = exists(select(ProblemQuestion.id).where(
        ProblemQuestion.problem_id == Problem.id, ProblemQuestion.answered_at.is_(None)))
    organisation = bindparam("viewer_organisation_id", type_=Integer) if by_organisation else None
    column = SORT_COLUMNS[sort]
    ordered = column.desc() if descending else column.asc()
    return (
        select(Problem.id, Problem.title, Problem.confidentiality, Problem.theme, Problem.status,
               Problem.submitted_at, Organisation.name.label("organisation_name"), Lab.id.label("lab_id"),
               Lab.name.label("lab_name"), open_question.label("has_open_question"))
        .where(_visible_condition(bindparam("viewer_id", type_=Integer), organisation, facilitator=facilitator))
        .outerjoin(Organisation, Problem.organisation_id == Organisation.id)
        .outerjoin(Lab, Problem.lab_id == Lab.id)
        .order_by(ordered.nulls_last(), Problem.id.desc())
    )


def problems_page(user: User, filters: ProblemFilters, *, per_page: int | None = None) -> Page:
    """One page of the vraagstukken this user may see, filtered, searched and sorted, in one
    statement whatever the number of rows (two when the page is full: `paginate`): the rows with
    their organisation (the join the search and sort use anyway), Lab and whether a question is open."""
    viewer = _viewer_kind(user)
    if viewer is None:
        return Page(items=[], page=1, per_page=per_page or page_size(), total=0)
    query = _list_statement(*viewer, filters.sort if filters.sort in SORT_COLUMNS else "submitted",
                            filters.direction != "asc")
    if filters.status:
        query = query.where(Problem.status == filters.status)
    if filters.theme:
        query = query.where(func.lower(Problem.theme) == filters.theme.lower())
    if filters.organisation_id:
        involved = exists(select(problem_organisation.c.problem_id).where(
            problem_organisation.c.problem_id == Problem.id,
            problem_organisation.c.organisation_id == filters.organisation_id,
        ))
        query = query.where(or_(Problem.organisation_id == filters.organisation_id, involved))
    if filters.submitted_from:
        query = query.where(Problem.submitted_at >= _local_day_start(filters.submitted_from))
    if filters.submitted_to:
        query = query.where(Problem.submitted_at < _local_day_start(filters.submitted_to + timedelta(days=1)))
    if filters.q:
        pattern = "%" + filters.q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(
            func.lower(Problem.title).like(pattern, escape="\\"),
            func.lower(Problem.description).like(pattern, escape="\\"),
            func.lower(Problem.theme).like(pattern, escape="\\"),
            func.lower(Organisation.name).like(pattern, escape="\\"),
        ))
    parameters = {"viewer_id": user.id, "viewer_organisation_id": user.organisation_id}
    page = paginate(query, page=filters.page, per_page=per_page, rows=True, parameters=parameters)
    return replace(page, items=[ProblemListRow(**row._mapping) for row in page.items])


def known_themes() -> list[str]:
    """The suggestions for the theme field: the usual ones and every theme already used (by a
    vraagstuk, then by a Lab), in one statement; kept between requests (`reference_cache`)."""
    return reference_cache.cached_list("known_themes", _known_themes)


def _known_themes() -> list[str]:
    used = union_all(
        select(literal(0).label("source"), Problem.theme.label("theme")).where(Problem.theme != "").distinct(),
        select(literal(1).label("source"), Lab.theme.label("theme")).where(Lab.theme != "").distinct(),
    ).subquery()
    rows = db.session.scalars(select(used.c.theme).order_by(used.c.source))
    seen, themes = set(), []
    for theme in (*THEME_SUGGESTIONS, *rows):
        if theme.lower() not in seen:
            seen.add(theme.lower())
            themes.append(theme)
    return themes
