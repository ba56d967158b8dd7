"""Alumni: everyone who took part in a Lab whose programme has ended. Derived, never stored.

A module of its own because other features ask for alumni apart from the rest of labs: speedlabs
invite them, the advice on a vraagstuk asks whether there are any, and the intervention library is
open to them (the `library.view` rule below). The lists here filter and page in SQL with a fixed
number of statements; whether one person is an alumnus is `auth.permissions.alumnus_clause`, the
question the login's user query already answers for the person logged in.
"""

from dataclasses import dataclass
from datetime import date
from functools import cache

from sqlalchemy import Date, bindparam, exists, func, select, true
from sqlalchemy.orm import joinedload, selectinload

from fieldlab.auth.models import Role, User
from fieldlab.auth.permissions import (
    alumnus_clause,
    is_facilitator,
    local_today,
    remember_alumnus,
    remembered_alumnus,
    rule,
)
from fieldlab.expertise import services as expertise_tags
from fieldlab.extensions import db
from fieldlab.labs.models import Lab, ParticipantProfile, Participation
from fieldlab.paging import Page, paginate, paginate_sequence


@dataclass
class Alumnus:
    user: User
    labs: list[Lab]
    profile: ParticipantProfile | None

    @property
    def expertise(self) -> list[str]:
        return list(self.profile.expertise or []) if self.profile else []

    @property
    def level_label(self) -> str:
        return self.profile.level_label if self.profile else ""


def _alumni_labs(*, today: date, before: Lab | None, theme: str | None):
    """The ids of the Labs whose participants are alumni (see `alumni`)."""
    cutoff = today
    if before is not None and before.programme_starts_on is not None:
        cutoff = min(today, before.programme_starts_on)
    labs_query = select(Lab.id).where(Lab.programme_ends_on.is_not(None), Lab.programme_ends_on < cutoff)
    if before is not None:
        labs_query = labs_query.where(Lab.id != before.id)
    if theme:
        labs_query = labs_query.where(func.lower(Lab.theme) == theme.strip().lower())
    return labs_query


def _alumni_users(labs_query, organisation_id: int | None):
    # IN (a set of ids), not a correlated EXISTS per person: SQLite then builds the set once.
    return (select(User).where(User.active.is_(True), User.erased_at.is_(None),
                               User.id.in_(select(Participation.user_id).where(Participation.lab_id.in_(labs_query))))
            .where(User.organisation_id == organisation_id if organisation_id else true())
            .order_by(func.lower(User.name), User.id))


def _with_expertise(users_query, expertise: str) -> list[int]:
    """The ids (in the query's order) of the people with a tag containing `expertise`, compared by
    the tag key (case, accents and spaces ignored, as everywhere tags meet), in one statement.
    Matched here, not in SQL: tags are a JSON list, and matching its text would also match across tags."""
    needle = expertise_tags.tag_key(expertise)
    if not needle:
        return []
    rows = db.session.execute(users_query.with_only_columns(User.id, ParticipantProfile.expertise)
                              .outerjoin(ParticipantProfile, ParticipantProfile.user_id == User.id))
    return [user_id for user_id, tags in rows if any(needle in expertise_tags.tag_key(tag) for tag in tags or [])]


def _alumni_of(users: list[User], labs_query) -> list[Alumnus]:
    """The alumni among `users`, each with the Labs that made them one (newest first) and their
    profile: two statements whatever the number of people."""
    if not users:
        return []
    user_ids = [user.id for user in users]
    labs_of: dict[int, list[Lab]] = {}
    for user_id, lab in db.session.execute(
            select(Participation.user_id, Lab).join(Lab, Participation.lab_id == Lab.id)
            .where(Participation.user_id.in_(user_ids), Participation.lab_id.in_(labs_query))):
        labs_of.setdefault(user_id, []).append(lab)
    profiles = {profile.user_id: profile for profile in db.session.scalars(
        select(ParticipantProfile).where(ParticipantProfile.user_id.in_(user_ids)))}
    found = [Alumnus(user=user, labs=labs_of.get(user.id, []), profile=profiles.get(user.id)) for user in users]
    for alumnus in found:
        # Every one has an end date (that made them alumni); `or` only tells the type checker so.
        alumnus.labs.sort(key=lambda lab: lab.programme_ends_on or date.min, reverse=True)
    return found


def any_alumni(*, today: date) -> bool:
    """Whether `alumni(today=today)` would find anyone, in one EXISTS query: for the advice on a
    vraagstuk, which asks it on every answer and needs no list."""
    return bool(db.session.scalar(_any_alumni_statement(), {"today": today}))


@cache
def _any_alumni_statement():
    """Built once, with the day as a parameter: building it cost more than running it."""
    ended = select(Lab.id).where(Lab.programme_ends_on.is_not(None),
                                 Lab.programme_ends_on < bindparam("today", type_=Date))
    return select(exists().where(Participation.lab_id.in_(ended), Participation.user_id == User.id,
                                 User.active.is_(True), User.erased_at.is_(None)))


def alumni(*, today: date, before: Lab | None = None, theme: str | None = None, organisation_id: int | None = None,
           expertise: str | None = None) -> list[Alumnus]:
    """Everyone who took part in a Lab whose programme ended before `today`, or, with `before`,
    before that Lab's programme starts (a speedlab invites the alumni of earlier Labs). Derived,
    never stored: a person becomes an alumnus the day after their programme's last day.

    Filters: `theme` of the Lab they took part in, their `organisation_id`, and an `expertise`
    tag (case-insensitive, part of a tag matches)."""
    labs_query = _alumni_labs(today=today, before=before, theme=theme)
    users_query = _alumni_users(labs_query, organisation_id)
    users = list(db.session.scalars(users_query.options(selectinload(User.organisation))))
    if expertise:
        wanted = set(_with_expertise(users_query, expertise))
        users = [user for user in users if user.id in wanted]
    return _alumni_of(users, labs_query)


def alumni_page(*, today: date, page: int, theme: str | None = None, organisation_id: int | None = None,
                expertise: str | None = None) -> Page:
    """One page of `alumni(...)`, by name, in a fixed number of statements: the page of people is
    chosen in SQL (with an expertise filter: among the ids of all alumni, which are cheap rows)."""
    labs_query = _alumni_labs(today=today, before=None, theme=theme)
    users_query = _alumni_users(labs_query, organisation_id)
    if expertise:
        result = paginate_sequence(_with_expertise(users_query, expertise), page=page)
        users = {user.id: user for user in db.session.scalars(
            select(User).options(joinedload(User.organisation)).where(User.id.in_(result.items)))}
        result.items = [users[user_id] for user_id in result.items]
    else:
        result = paginate(users_query.options(joinedload(User.organisation)), page=page)
    result.items = _alumni_of(list(result.items), labs_query)
    return result


def _is_alumnus_today(user: User) -> bool:
    """Asked once per request at most: the login's user query usually answered it already."""
    remembered = remembered_alumnus(user.id)
    if remembered is not None:
        return remembered
    answer = user.id is not None and bool(db.session.scalar(select(alumnus_clause(user.id, local_today()))))
    remember_alumnus(user.id, answer)
    return answer


@rule("library.view")
def _view_library(user) -> bool:
    """The intervention library is for facilitators, opdrachtgevers and alumni (people who design
    interventions themselves). Registered here, next to the alumni, rather than in
    auth/permissions.py: alumni are a labs matter, and auth sits below labs in the import order."""
    return is_facilitator(user) or user.has_role(Role.COMMISSIONER) or _is_alumnus_today(user)
