"""Labs themselves: create and edit them, who sees which, the Labs list, and each Lab's timeline
(vraagstukken -> programme -> day 1 -> day 50 -> day 100) with what comes next.

Participants (participants.py) and alumni (alumni.py) are modules of their own: they are about
people rather than the Lab, and other features use them apart from this (speedlabs invite alumni,
the vraagstuk's advice asks whether there are any). Services take the acting user and the time
explicitly and flush; the route commits once.
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import format_date, lazy_ngettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, false, func, or_, select
from sqlalchemy.orm import selectinload

from fieldlab.audit import services as audit
from fieldlab.auth.models import Role, User, UserRole
from fieldlab.extensions import db
from fieldlab.formats import spoken_list
from fieldlab.labs import hooks
from fieldlab.labs.models import Lab, LabFacilitator, LabKind, Participation, ProgrammeDay
from fieldlab.paging import Page, paginate
from fieldlab.problems.models import Problem, ProblemStatus
from fieldlab.timeutil import local, utcnow


class LabError(Exception):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


# --- Creating and editing Labs ------------------------------------------------------------------

@dataclass
class ProgrammeDayData:
    held_on: date
    place: str = ""
    note: str = ""


@dataclass
class LabData:
    name: str
    kind: str = LabKind.TEAMS
    theme: str = ""
    description: str = ""
    days: list[ProgrammeDayData] = field(default_factory=list)
    facilitator_ids: list[int] = field(default_factory=list)
    boards_open_to_participants: bool = False


def _apply(lab: Lab, data: LabData) -> None:
    lab.name = " ".join(data.name.split())
    lab.kind = LabKind(data.kind).value
    lab.theme = " ".join(data.theme.split())
    lab.description = data.description.strip()
    lab.boards_open_to_participants = data.boards_open_to_participants
    wanted = {day.held_on: day for day in data.days}
    kept = []
    for existing in lab.programme_days:
        if existing.held_on in wanted:
            day = wanted.pop(existing.held_on)
            existing.place, existing.note = day.place.strip(), day.note.strip()
            kept.append(existing)
    lab.programme_days = kept + [
        ProgrammeDay(held_on=day.held_on, place=day.place.strip(), note=day.note.strip()) for day in wanted.values()
    ]
    lab.programme_days.sort(key=lambda day: day.held_on)
    lab.place = lab.programme_days[0].place if lab.programme_days else ""
    lab.sync_programme_dates()
    ids = set(data.facilitator_ids)
    lab.facilitator_rows = [row for row in lab.facilitator_rows if row.user_id in ids] + [
        LabFacilitator(user_id=user_id) for user_id in sorted(ids - lab.facilitator_ids)
    ]


def create_lab(data: LabData, *, by: User, now: datetime | None = None) -> Lab:
    now = now or utcnow()
    lab = Lab(created_at=now)
    _apply(lab, data)
    db.session.add(lab)
    db.session.flush()
    audit.record("lab_created", actor=by, obj=lab, now=now)
    return lab


def update_lab(lab: Lab, data: LabData, *, by: User, now: datetime | None = None) -> Lab:
    _apply(lab, data)
    db.session.flush()
    audit.record("lab_changed", actor=by, obj=lab, now=now)
    return lab


def facilitator_choices() -> list[tuple[int, str]]:
    people = db.session.scalars(
        select(User).join(UserRole).where(UserRole.role == Role.FACILITATOR, User.active.is_(True))
        .order_by(User.name)
    )
    return [(person.id, person.name) for person in people]


def visible_labs(user: User):
    """A select with exactly the rule of `can(user, "lab.view", lab)`."""
    if user is None or not user.is_authenticated or not user.active:
        return select(Lab).where(false())
    query = select(Lab)
    if user.has_role(Role.FACILITATOR):
        return query
    participates = exists(select(Participation.id).where(
        Participation.lab_id == Lab.id, or_(Participation.user_id == user.id, Participation.manager_id == user.id)
    ))
    commissions = exists(select(Problem.id).where(Problem.lab_id == Lab.id, Problem.commissioner_id == user.id))
    return query.where(or_(participates, commissions))


def labs_list(user: User) -> list[Lab]:
    return list(db.session.scalars(
        visible_labs(user).options(selectinload(Lab.teams), selectinload(Lab.participations),
                                   selectinload(Lab.problems))
        .order_by(Lab.programme_starts_on.desc().nulls_first(), Lab.name)
    ))


def labs_page(user: User, *, page: int) -> Page:
    """One page of the Labs `user` may see, newest programme first, as (lab, vraagstukken,
    participants, teams) rows: the counts are subqueries, so one statement for the page. Tables of
    later features are named, as relationships name their classes (teams and problems build on labs)."""

    def count_of(table_name: str):
        table = db.metadata.tables[table_name]
        return select(func.count()).select_from(table).where(table.c.lab_id == Lab.id).correlate(Lab).scalar_subquery()

    # Current participants: people erased (fieldlab/privacy) still count in reports, not here.
    participants = (select(func.count()).select_from(Participation).join(User, Participation.user_id == User.id)
                    .where(Participation.lab_id == Lab.id, User.erased_at.is_(None)).correlate(Lab).scalar_subquery())
    query = (visible_labs(user)
             .add_columns(count_of("problem").label("problems"), participants.label("participants"),
                          count_of("team").label("teams"))
             .order_by(Lab.programme_starts_on.desc().nulls_first(), Lab.name, Lab.id))
    return paginate(query, page=page, rows=True)


def lab_themes() -> list[str]:
    return list(db.session.scalars(select(Lab.theme).where(Lab.theme != "").distinct().order_by(Lab.theme)))


# --- The timeline: vraagstukken -> programme -> day 1 -> day 50 -> day 100 ------------------------

def _return_days_of(lab: Lab) -> dict[int, list]:
    """What the returndays feature answers to `hooks.timeline_return_days` (it sits above labs)."""
    found: dict[int, list] = {}
    for _receiver, answer in hooks.timeline_return_days.send(lab):
        for number, days in answer.items():
            found.setdefault(number, []).extend(days)
    return found


@dataclass
class TimelineStep:
    key: str
    label: str
    starts_on: date | None = None
    ends_on: date | None = None
    detail: str = ""
    state: str = "todo"  # done | current | todo
    # The step's return days ("terugkomdag vastgelegd op …") and, when a start date moved after one
    # was confirmed, what the facilitator must do: then this is what "Wat nu" says first.
    return_days: str = ""
    attention: str = ""

    @property
    def state_label(self) -> str:
        return str({"done": _l("afgerond"), "current": _l("nu bezig"), "todo": _l("nog te gaan")}[self.state])


def _state(starts_on: date | None, ends_on: date | None, today: date) -> str:
    if starts_on is None:
        return "todo"
    end = ends_on or starts_on
    if end < today:
        return "done"
    if starts_on <= today:
        return "current"
    return "todo"


def timeline(lab: Lab, *, today: date) -> list[TimelineStep]:
    """The steps of this Lab with their dates. Challenge days come from the teams' challenges
    (day n = start + n - 1); teams that start on different dates show the earliest and say so."""
    accepted = [problem for problem in lab.problems if problem.status == ProblemStatus.ACCEPTED]
    steps = [TimelineStep(
        "problems", str(_l("Vraagstukken")),
        detail=str(lazy_ngettext("%(num)s vraagstuk gekoppeld", "%(num)s vraagstukken gekoppeld", len(accepted))),
        state="done" if accepted else ("current" if lab.programme_starts_on is None
                                        or lab.programme_starts_on > today else "todo"),
    )]
    steps.append(TimelineStep(
        "programme", str(_l("Programma")), lab.programme_starts_on, lab.programme_ends_on,
        detail=str(lazy_ngettext("%(num)s programmadag", "%(num)s programmadagen", len(lab.programme_days)))
        if lab.programme_days
        else str(_l("nog geen programmadagen gepland")),
        state=_state(lab.programme_starts_on, lab.programme_ends_on, today),
    ))
    if lab.kind == LabKind.SPEEDLAB:
        return steps
    challenges = [team.challenge for team in lab.teams if team.challenge is not None and team.challenge.starts_on]
    starts = sorted({challenge.starts_on for challenge in challenges})
    return_days = _return_days_of(lab)
    for day_number in (1, 50, 100):
        if not starts:
            steps.append(TimelineStep(f"day{day_number}", str(_l("Dag %(day)s", day=day_number)),
                                      detail=str(_l("nog niet gepland"))))
            continue
        dates = sorted({challenge.date_of_day(day_number) for challenge in challenges})
        detail = str(_l("per team verschillend, tot %(date)s", date=format_date(dates[-1], "d MMMM y"))) \
            if len(dates) > 1 else ""
        step = TimelineStep(f"day{day_number}", str(_l("Dag %(day)s", day=day_number)), dates[0],
                            dates[-1] if len(dates) > 1 else None, detail=detail,
                            state=_state(dates[0], dates[-1], today))
        _describe_return_days(step, day_number, return_days.get(day_number, []))
        steps.append(step)
    return steps


def _describe_return_days(step: TimelineStep, day_number: int, return_days: list) -> None:
    """The return days of this challenge day, as the return-day pages show them, and a warning for
    any confirmed one whose challenge start moved since (it keeps its date until re-planned)."""
    confirmed = [day for day in return_days if day.status == "confirmed"]
    if confirmed:
        dates = sorted({local(day.starts_at).date() for day in confirmed})
        step.return_days = str(_l("terugkomdag vastgelegd op %(dates)s",
                                  dates=spoken_list(format_date(day, "d MMMM y") for day in dates)))
    elif return_days:
        step.return_days = str(_l("terugkomdag voorgesteld, nog niet vastgelegd"))
    moved = [day for day in confirmed if day.start_moved_at is not None]
    if moved:
        dates = spoken_list(format_date(local(day.starts_at).date(), "d MMMM y") for day in moved)
        step.attention = str(_l("De startdatum is verschoven: de terugkomdag van dag %(number)s staat nog op "
                                "%(dates)s en moet opnieuw gepland worden (of bewust zo blijven).",
                                number=day_number, dates=dates))


def next_step(steps: list[TimelineStep]) -> TimelineStep | None:
    """What is next: a return day a moved start date left to re-plan, else the step in progress,
    else the first one still to come."""
    for step in steps:
        if step.attention:
            return step
    for step in steps:
        if step.state == "current":
            return step
    for step in steps:
        if step.state == "todo":
            return step
    return None
