"""Labs: create and edit them, register their participants, show their timeline, derive alumni.

Services take the acting user and the time explicitly and flush; the route commits once, so a
pasted list of participants is saved completely or not at all.
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from email_validator import EmailNotValidError, validate_email
from flask import g, has_request_context
from flask_babel import format_date, lazy_ngettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, false, func, or_, select, true
from sqlalchemy.orm import joinedload, selectinload

from fieldlab.audit import services as audit
from fieldlab.auth import services as accounts
from fieldlab.auth.models import Role, User, UserRole, normalise_email
from fieldlab.auth.permissions import is_facilitator, rule
from fieldlab.expertise import services as expertise_tags
from fieldlab.extensions import db
from fieldlab.labs import hooks
from fieldlab.labs.models import (
    Lab,
    LabFacilitator,
    LabKind,
    Level,
    ParticipantProfile,
    Participation,
    ProgrammeDay,
)
from fieldlab.mail.services import external_url, queue_message
from fieldlab.organisations import services as organisation_list
from fieldlab.organisations.models import Organisation
from fieldlab.paging import Page, paginate, paginate_sequence
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
        detail = str(_l("per team verschillend, tot %(date)s", date=dates[-1].strftime("%d-%m-%Y"))) \
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
                                  dates=", ".join(format_date(day, "d MMMM y") for day in dates)))
    elif return_days:
        step.return_days = str(_l("terugkomdag voorgesteld, nog niet vastgelegd"))
    moved = [day for day in confirmed if day.start_moved_at is not None]
    if moved:
        dates = ", ".join(format_date(local(day.starts_at).date(), "d MMMM y") for day in moved)
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


# --- Participants ---------------------------------------------------------------------------------

LEVEL_WORDS = {
    **{str(level.lazy_label).lower(): level for level in Level},  # the Dutch words
    **{level.value: level for level in Level},
}


def parse_level(text: str) -> Level | None:
    return LEVEL_WORDS.get((text or "").strip().lower())


def level_choices() -> list[tuple[str, str]]:
    return [(level.value, level.label) for level in Level]


@dataclass
class ParticipantLine:
    """One person to register, with everything wrong with it (empty: fine)."""

    number: int
    name: str = ""
    email: str = ""
    organisation_text: str = ""
    organisation: Organisation | None = None
    kind: Organisation | None = None  # the kind row, when a kind was pasted ("Gemeente")
    level_text: str = ""
    level: Level | None = None
    expertise: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    existing_user: User | None = None

    @property
    def ok(self) -> bool:
        return not self.errors


def check_participant(line: ParticipantLine, lab: Lab, *, seen: dict[str, int] | None = None,
                      organisations: dict[str, Organisation] | None = None) -> ParticipantLine:
    """Fill in the organisation, level and existing account, and list every problem in Dutch."""
    lookup = organisations if organisations is not None else organisation_list.name_lookup()
    line.name = " ".join(line.name.split())
    if not line.name:
        line.errors.append(str(_l("naam ontbreekt")))
    elif len(line.name) > 120:
        line.errors.append(str(_l("naam is langer dan 120 tekens")))
    email = normalise_email(line.email)
    line.email = email
    if not email:
        line.errors.append(str(_l("e-mailadres ontbreekt")))
    else:
        try:
            validate_email(email, check_deliverability=False)
        except EmailNotValidError:
            line.errors.append(str(_l("ongeldig e-mailadres")))
    if line.organisation_text.strip():
        found = lookup.get(organisation_list.lookup_key(line.organisation_text))
        if found is not None and found.generic:
            # "Gemeente" is a kind: the person belongs to one gemeente, which the page offers to add.
            line.kind = found
            line.errors.append(str(_l("'%(name)s' is een soort organisatie, geen organisatie: %(question)s",
                                      name=line.organisation_text.strip(),
                                      question=organisation_list.question_for(found).in_sentence)))
        elif found is None:
            line.errors.append(str(_l("onbekende organisatie '%(name)s'", name=line.organisation_text.strip())))
        else:
            line.organisation = found
    if line.level_text.strip():
        line.level = parse_level(line.level_text)
        if line.level is None:
            line.errors.append(str(_l("onbekend niveau '%(level)s' (kies uitvoering, beleid, management of expert)",
                                      level=line.level_text.strip())))
    if isinstance(line.expertise, str):
        line.expertise = expertise_tags.parse_tags(line.expertise)
    if email and seen is not None:
        if email in seen:
            line.errors.append(str(_l("dubbel: dit e-mailadres staat ook op regel %(line)s", line=seen[email])))
        else:
            seen[email] = line.number
    if email:
        line.existing_user = User.by_email(email)
        if line.existing_user is not None and any(p.user_id == line.existing_user.id for p in lab.participations):
            line.errors.append(str(_l("al aangemeld voor dit Lab")))
    return line


def _split(raw: str) -> list[str]:
    return [part.strip() for part in (raw.split("\t") if "\t" in raw else raw.split(";"))]


def parse_participant_lines(text: str, lab: Lab) -> list[ParticipantLine]:
    """Pasted lines `naam; e-mail; organisatie; niveau; expertise` (tab or semicolon separated,
    expertise comma separated). A header line and empty lines are skipped. Nothing is saved."""
    lookup = organisation_list.name_lookup()  # kinds included, to say so
    seen: dict[str, int] = {}
    lines = []
    for number, raw in enumerate((text or "").splitlines(), start=1):
        if not raw.strip():
            continue
        parts = _split(raw)
        if not lines and parts[0].lower() in {"naam", "name"}:
            continue
        too_many = any(parts[5:])
        parts = (parts + [""] * 5)[:5]
        line = ParticipantLine(number=number, name=parts[0], email=parts[1], organisation_text=parts[2],
                               level_text=parts[3], expertise=parts[4])
        if too_many:
            line.errors.append(str(_l("te veel velden: verwacht naam; e-mail; organisatie; niveau; expertise")))
        check_participant(line, lab, seen=seen, organisations=lookup)
        lines.append(line)
    return lines


def with_organisation(text: str, line_number: int, name: str) -> str:
    """The pasted text with the organisation of line `line_number` replaced by `name` (after "Welke
    gemeente?" was answered for it), the line's separator and the other lines kept as they were."""
    lines = (text or "").splitlines()
    if not 1 <= line_number <= len(lines):
        return text
    raw = lines[line_number - 1]
    separator = "\t" if "\t" in raw else ";"
    parts = raw.split(separator)
    parts += [""] * (3 - len(parts))
    parts[2] = f" {name}" if separator == ";" and parts[2].startswith(" ") else name
    lines[line_number - 1] = separator.join(parts)
    return "\n".join(lines)


@dataclass
class Registration:
    created: list[User] = field(default_factory=list)
    reused: list[User] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.created) + len(self.reused)


def _complete_profile(user: User, line: ParticipantLine) -> None:
    profile = db.session.get(ParticipantProfile, user.id)
    if profile is None:
        profile = ParticipantProfile(user_id=user.id, expertise=[])
        db.session.add(profile)
    if line.level and not profile.level:
        profile.level = line.level.value
    profile.expertise = expertise_tags.store_tags(list(profile.expertise or []) + list(line.expertise))


def register_participants(lab: Lab, lines: list[ParticipantLine], *, by: User,
                          now: datetime | None = None) -> Registration:
    """Create accounts (invited by e-mail) or reuse existing ones, and register them for the Lab.
    Refuses the whole list when any line has a problem: nothing is half saved."""
    now = now or utcnow()
    if not lines:
        raise LabError(_l("Er staan geen deelnemers in de lijst."))
    if any(line.errors for line in lines):
        raise LabError(_l("Niet alle regels zijn in orde. Verbeter ze en bekijk de lijst opnieuw."))
    result = Registration()
    for line in lines:
        user = line.existing_user
        if user is None:
            user = accounts.invite_user(accounts.Invitee(
                name=line.name, email=line.email,
                organisation_id=line.organisation.id if line.organisation else None, roles=[Role.PARTICIPANT],
            ), by=by, now=now)
            result.created.append(user)
        else:
            if not user.has_role(Role.PARTICIPANT):
                accounts.change_roles(user, [*user.roles, Role.PARTICIPANT], by=by, now=now)
            if user.organisation_id is None and line.organisation is not None:
                user.organisation_id = line.organisation.id
            result.reused.append(user)
            queue_message(
                key=f"lab-registration:lab{lab.id}:user{user.id}", to=user.email, template="lab_registration",
                locale=user.locale, now=now, user=user, lab_name=lab.name,
                link=external_url("labs.detail", lab_id=lab.id),
            )
        _complete_profile(user, line)
        lab.participations.append(Participation(user_id=user.id, registered_at=now))
    db.session.flush()
    audit.record("participants_registered", actor=by, obj=lab, now=now, count=result.count)
    return result


def remove_participant(participation: Participation, *, by: User, now: datetime | None = None) -> None:
    lab = participation.lab
    audit.record("participant_removed", actor=by, obj=lab, subject_user=participation.user, now=now)
    lab.participations.remove(participation)
    db.session.flush()


def set_manager(participation: Participation, manager: User | None, *, by: User,
                now: datetime | None = None) -> None:
    """The leidinggevende who follows this participant (invited to day 1/50/100, reads the board)."""
    if manager is not None and manager.id == participation.user_id:
        raise LabError(_l("Iemand kan niet zijn of haar eigen leidinggevende zijn."))
    if manager is not None and not manager.has_role(Role.MANAGER):
        accounts.change_roles(manager, [*manager.roles, Role.MANAGER], by=by, now=now)
    participation.manager = manager
    db.session.flush()


def invite_manager(participation: Participation, *, name: str, email: str, by: User,
                   now: datetime | None = None) -> User:
    """Reuse the account with this e-mail address, or invite a new one with the manager role."""
    manager = User.by_email(email)
    if manager is None:
        manager = accounts.invite_user(accounts.Invitee(
            name=name, email=email, organisation_id=participation.user.organisation_id, roles=[Role.MANAGER],
        ), by=by, now=now)
    set_manager(participation, manager, by=by, now=now)
    return manager


def participants_of(lab: Lab) -> list[Participation]:
    return list(db.session.scalars(
        select(Participation).join(User, Participation.user_id == User.id)
        .where(Participation.lab_id == lab.id, User.erased_at.is_(None))
        .options(selectinload(Participation.user).selectinload(User.organisation),
                 selectinload(Participation.manager))
        .order_by(func.lower(User.name))
    ))


def participant_count(lab: Lab) -> int:
    """The Lab's current participants: erased people still count in reports, not here."""
    return db.session.scalar(select(func.count()).select_from(Participation).join(User, Participation.user_id == User.id)
                             .where(Participation.lab_id == lab.id, User.erased_at.is_(None)))


def manager_candidates() -> list[User]:
    return list(db.session.scalars(select(User).where(User.active.is_(True)).order_by(func.lower(User.name))))


# --- Profiles ---------------------------------------------------------------------------------------

def profile_for(user: User) -> ParticipantProfile:
    profile = db.session.get(ParticipantProfile, user.id)
    return profile or ParticipantProfile(user_id=user.id, expertise=[])


def update_profile(user: User, *, organisation_id: int | None, level: str | None, expertise: list[str],
                   by: User, now: datetime | None = None) -> ParticipantProfile:
    profile = db.session.get(ParticipantProfile, user.id)
    if profile is None:
        profile = ParticipantProfile(user_id=user.id)
        db.session.add(profile)
    user.organisation_id = organisation_id
    profile.level = Level(level).value if level else None
    profile.expertise = expertise_tags.store_tags(expertise, now=now)
    db.session.flush()
    return profile


# --- Alumni ------------------------------------------------------------------------------------------

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
        alumnus.labs.sort(key=lambda lab: lab.programme_ends_on, reverse=True)
    return found


def any_alumni(*, today: date) -> bool:
    """Whether `alumni(today=today)` would find anyone, in one EXISTS query: for the advice on a
    vraagstuk, which asks it on every answer and needs no list."""
    ended = select(Lab.id).where(Lab.programme_ends_on.is_not(None), Lab.programme_ends_on < today)
    return bool(db.session.scalar(select(exists().where(
        Participation.lab_id.in_(ended), Participation.user_id == User.id, User.active.is_(True),
        User.erased_at.is_(None)))))


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


def lab_themes() -> list[str]:
    return list(db.session.scalars(select(Lab.theme).where(Lab.theme != "").distinct().order_by(Lab.theme)))


def is_alumnus(user: User, *, today: date) -> bool:
    """Alumni are derived, never stored: whoever took part in a Lab whose programme has ended."""
    if user.id is None:  # an unsaved person has taken part in nothing
        return False
    return bool(db.session.scalar(select(exists(
        select(Participation.id).join(Lab).where(Participation.user_id == user.id,
                                                 Lab.programme_ends_on < today)
    ))))


def _is_alumnus_today(user: User) -> bool:
    cached = getattr(g, "fieldlab_alumnus", None) if has_request_context() else None
    if cached is not None and cached[0] == user.id:
        return cached[1]
    answer = is_alumnus(user, today=local(utcnow()).date())
    if has_request_context():
        g.fieldlab_alumnus = (user.id, answer)  # the menu asks on every page: once per request
    return answer


@rule("library.view")
def _view_library(user) -> bool:
    """The intervention library is for facilitators, opdrachtgevers and alumni (people who design
    interventions themselves). Registered here, not in auth/permissions.py, because alumni are
    derived from Labs and auth sits below labs in the import order."""
    return is_facilitator(user) or user.has_role(Role.COMMISSIONER) or _is_alumnus_today(user)

