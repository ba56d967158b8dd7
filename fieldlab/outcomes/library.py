"""The interventiebibliotheek: every submitted day-100 result, read as an intervention others can
learn from, and the three most similar ones for a new vraagstuk or speedlab.

Derived, never copied: an entry is a submitted `TeamResult` read with its team, vraagstuk, Lab and
challenge, so a correction anywhere shows at once. What an entry shows is chosen for need to know:
the problem's title, theme and expertise, the intervention, the organisations, the result and the
lessons. Never the facts or concerns of a vraagstuk (they are not part of an entry at all), so a
confidential vraagstuk gives away no more than its title.
"""

from dataclasses import dataclass
from datetime import date, datetime, time

from flask import current_app
from sqlalchemy import exists, extract, func, or_, select
from sqlalchemy.orm import contains_eager, selectinload

from fieldlab.auth.models import User
from fieldlab.boards.models import Challenge
from fieldlab.extensions import db
from fieldlab.labs.models import Lab
from fieldlab.organisations.models import Organisation
from fieldlab.outcomes import similarity
from fieldlab.outcomes.models import ResultStatus, TeamResult
from fieldlab.problems.models import Problem
from fieldlab.teams.models import Membership, Team
from fieldlab.timeutil import LOCAL_ZONE


@dataclass
class LibraryFilter:
    q: str = ""
    theme: str = ""
    organisation_id: int | None = None
    goal: str = ""
    year: int | None = None

    @property
    def active(self) -> bool:
        return bool(self.q or self.theme or self.organisation_id or self.goal or self.year)


def _entries():
    """Submitted results with team, Lab, vraagstuk and challenge joined (one row each)."""
    return (
        select(TeamResult)
        .join(TeamResult.team).join(Team.lab).outerjoin(Team.problem).outerjoin(Team.challenge)
        .where(TeamResult.status == ResultStatus.SUBMITTED)
        .options(contains_eager(TeamResult.team).contains_eager(Team.lab),
                 contains_eager(TeamResult.team).contains_eager(Team.problem),
                 contains_eager(TeamResult.team).contains_eager(Team.challenge),
                 contains_eager(TeamResult.team).selectinload(Team.memberships).selectinload(Membership.user)
                 .selectinload(User.organisation),
                 selectinload(TeamResult.indicators), selectinload(TeamResult.sustainability))
    )


def _theme():
    return func.coalesce(func.nullif(Problem.theme, ""), Lab.theme)


def _filtered(query, library_filter: LibraryFilter):
    if library_filter.q:
        pattern = f"%{library_filter.q.strip().lower()}%"
        query = query.where(or_(*(func.lower(column).like(pattern) for column in (
            Problem.title, Problem.theme, Lab.theme, Challenge.intervention_plan, Challenge.goal,
            TeamResult.changes, TeamResult.lessons))))
    if library_filter.theme:
        query = query.where(func.lower(_theme()) == library_filter.theme.lower())
    if library_filter.goal:
        query = query.where(TeamResult.goal_reached == library_filter.goal)
    if library_filter.organisation_id:
        query = query.where(exists().where(
            Membership.team_id == Team.id, Membership.user_id == User.id,
            User.organisation_id == library_filter.organisation_id))
    if library_filter.year:
        start = datetime.combine(date(library_filter.year, 1, 1), time(), LOCAL_ZONE)
        end = datetime.combine(date(library_filter.year + 1, 1, 1), time(), LOCAL_ZONE)
        query = query.where(TeamResult.submitted_at >= start, TeamResult.submitted_at < end)
    return query


def entries_page(library_filter: LibraryFilter, *, page: int):
    query = _filtered(_entries(), library_filter).order_by(TeamResult.submitted_at.desc(), TeamResult.id.desc())
    return db.paginate(query, page=page, per_page=current_app.config["ITEMS_PER_PAGE"], error_out=False,
                       count=True)


def entry(result_id: int) -> TeamResult | None:
    return db.session.scalars(_entries().where(TeamResult.id == result_id)).unique().first()


@dataclass
class FilterChoices:
    themes: list[str]
    organisations: list[Organisation]
    years: list[int]


def filter_choices() -> FilterChoices:
    """What the filters offer: only values that occur in the library (three queries)."""
    submitted = TeamResult.status == ResultStatus.SUBMITTED
    themes = db.session.scalars(
        select(func.lower(_theme())).select_from(TeamResult).join(TeamResult.team).join(Team.lab)
        .outerjoin(Team.problem).where(submitted).distinct()).all()
    organisations = db.session.scalars(
        select(Organisation).where(Organisation.id.in_(
            select(User.organisation_id).join(Membership, Membership.user_id == User.id)
            .join(TeamResult, TeamResult.team_id == Membership.team_id).where(submitted)))
        .order_by(Organisation.name)).all()
    years = db.session.scalars(
        select(extract("year", TeamResult.submitted_at)).where(submitted).distinct()).all()
    return FilterChoices(sorted(theme for theme in themes if theme), list(organisations),
                         sorted({int(year) for year in years if year}, reverse=True))


def organisations_of(result: TeamResult) -> list[str]:
    """The organisations of the team's members, each once, in alphabetical order."""
    names = {membership.user.organisation.name for membership in result.team.memberships
             if membership.user.organisation is not None}
    return sorted(names, key=str.lower)


def theme_of(result: TeamResult) -> str:
    problem = result.team.problem
    return (problem.theme if problem is not None and problem.theme else result.team.lab.theme) or ""


def _document(result: TeamResult):
    team = result.team
    problem = team.problem
    challenge = team.challenge
    return similarity.bag(
        title=problem.title if problem is not None else team.name,
        theme=theme_of(result),
        tags=problem.expertise_needed if problem is not None else (),
        text=" ".join(filter(None, (challenge.goal if challenge else "",
                                    challenge.intervention_plan if challenge else "", result.changes))),
    )


@dataclass
class Suggestion:
    result: TeamResult
    score: float
    shared: tuple[str, ...]


def similar(*, title: str = "", theme: str = "", tags=(), text: str = "", exclude_team_id: int | None = None,
            limit: int = 3) -> list[Suggestion]:
    """The `limit` library entries most like what is being written (title, theme, expertise tags)."""
    query = similarity.bag(title=title, theme=theme, tags=tags, text=text)
    if not query:
        return []
    results = db.session.scalars(_entries()).unique().all()
    documents = {result.id: _document(result) for result in results if result.team_id != exclude_team_id}
    by_id = {result.id: result for result in results}
    forms = similarity.shown_as(title, theme, " ".join(tags), text)
    return [Suggestion(by_id[match.key], match.score, tuple(forms.get(word, word) for word in match.shared))
            for match in similarity.rank(query, documents, limit=limit)]


__all__ = ["FilterChoices", "LibraryFilter", "Suggestion", "entries_page", "entry", "filter_choices",
           "organisations_of", "similar", "theme_of"]
