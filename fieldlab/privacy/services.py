"""Retention and the rights of the people in the app (AVG).

A Lab's personal data is kept for RETENTION_MONTHS after its day 100 (the last day 100 of its
teams, or the programme's end for a Lab without challenges). Then its participants who take part
in no later Lab are anonymised and its stakeholders' and guests' e-mail addresses deleted, unless a
facilitator postponed one person's purge (a `RetentionPostponement`, with a reason): then that
person goes the night their postponement ends. Aggregates stay: grades, counts, organisations, the
teams' work. People are anonymised rather than deleted (`fieldlab.privacy.erasure`, the same path
as erasure on request), so the rows that point at them keep their integrity without a name.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.orm import joinedload

from fieldlab.audit import services as audit
from fieldlab.auth import services as accounts
from fieldlab.auth.models import Role, User, UserRole, person_matches
from fieldlab.boards.models import CHALLENGE_DAYS, Challenge
from fieldlab.extensions import db
from fieldlab.labs.models import Lab, Participation
from fieldlab.mail.models import OutboxMessage
from fieldlab.paging import Page, paginate, paginate_sequence
from fieldlab.privacy.erasure import ANONYMOUS_DOMAIN, anonymise, is_anonymised
from fieldlab.privacy.models import RetentionPostponement
from fieldlab.returndays.models import Invitation, ReturnDay
from fieldlab.speedlabs.models import Idea, SpeedlabInvitation, SpeedlabSession
from fieldlab.teams.models import Team
from fieldlab.timeutil import local, utcnow


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for last_day in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last_day))
        except ValueError:
            continue
    raise ValueError(day)


def day_100(lab: Lab) -> date | None:
    days = [team.challenge.date_of_day(CHALLENGE_DAYS) for team in lab.teams
            if team.challenge is not None and team.challenge.starts_on is not None]
    if days:
        return max(days)
    return lab.programme_ends_on


def retention_months() -> int:
    return current_app.config["RETENTION_MONTHS"]


def purge_date(lab: Lab) -> date | None:
    last_day = day_100(lab)
    return add_months(last_day, retention_months()) if last_day else None


@dataclass
class PlannedPurge:
    lab: Lab
    day_100: date | None
    purge_on: date | None
    people: list[User]
    stakeholder_addresses: int

    def due(self, today: date) -> bool:
        return self.purge_on is not None and self.purge_on <= today


def _later_lab_ids(lab: Lab) -> set[int]:
    """Labs whose data is kept longer than this one's: a person in one of them stays."""
    mine = purge_date(lab)
    later = set()
    for other in db.session.scalars(select(Lab).where(Lab.id != lab.id)):
        theirs = purge_date(other)
        if theirs is None or mine is None or theirs > mine:
            later.add(other.id)
    return later


def people_to_anonymise(lab: Lab) -> list[User]:
    later = _later_lab_ids(lab)
    people = []
    for participation in lab.participations:
        user = participation.user
        if is_anonymised(user) or user.has_role(Role.FACILITATOR):
            continue
        if any(other.lab_id in later for other in
               db.session.scalars(select(Participation).where(Participation.user_id == user.id))):
            continue
        people.append(user)
    return people


def _stakeholder_invitations(lab: Lab) -> list[Invitation]:
    return list(db.session.scalars(
        select(Invitation).join(ReturnDay).where(ReturnDay.lab_id == lab.id, Invitation.user_id.is_(None),
                                                 Invitation.email != "")))


def _guest_invitations(lab: Lab) -> list[SpeedlabInvitation]:
    return list(db.session.scalars(
        select(SpeedlabInvitation).join(SpeedlabSession).where(SpeedlabSession.lab_id == lab.id,
                                                               SpeedlabInvitation.user_id.is_(None),
                                                               SpeedlabInvitation.email != "")))


@dataclass
class PurgeRow:
    """One Lab on the privacy page: when its data goes, and how many people and addresses that
    touches (counted, not loaded)."""

    lab_id: int
    lab_name: str
    day_100: date | None
    purge_on: date | None
    people: int = 0
    stakeholder_addresses: int = 0

    def due(self, today: date) -> bool:
        return self.purge_on is not None and self.purge_on <= today


def _purge_dates() -> dict[int, tuple[date | None, date | None]]:
    """(day 100, purge date) of every Lab, in two statements: the same rule as `day_100` and
    `purge_date` (the last day 100 of its teams, else the programme's end)."""
    last_start = dict(db.session.execute(
        select(Team.lab_id, func.max(Challenge.starts_on)).join(Challenge, Challenge.team_id == Team.id)
        .where(Challenge.starts_on.is_not(None)).group_by(Team.lab_id)).all())
    months = retention_months()
    dates = {}
    for lab_id, programme_ends_on in db.session.execute(select(Lab.id, Lab.programme_ends_on)):
        start = last_start.get(lab_id)
        last_day = start + timedelta(days=CHALLENGE_DAYS - 1) if start else programme_ends_on
        dates[lab_id] = (last_day, add_months(last_day, months) if last_day else None)
    return dates


def _is_later(theirs: date | None, mine: date | None) -> bool:
    """The rule of `_later_lab_ids`: a Lab whose data is kept longer (or not known yet)."""
    return theirs is None or mine is None or theirs > mine


def _people_counts(lab_ids: list[int], dates: dict) -> dict[int, int]:
    """`len(people_to_anonymise(lab))` for each of these Labs, in two statements."""
    facilitator = exists(select(UserRole.user_id).where(UserRole.user_id == User.id,
                                                        UserRole.role == Role.FACILITATOR.value))
    participants = db.session.execute(
        select(Participation.lab_id, User.id).join(User, Participation.user_id == User.id)
        .where(Participation.lab_id.in_(lab_ids), ~User.email.endswith("@" + ANONYMOUS_DOMAIN), ~facilitator)
    ).all()
    labs_of: dict[int, set[int]] = {}
    for user_id, lab_id in db.session.execute(
            select(Participation.user_id, Participation.lab_id)
            .where(Participation.user_id.in_(select(Participation.user_id).where(Participation.lab_id.in_(lab_ids))))):
        labs_of.setdefault(user_id, set()).add(lab_id)
    counts = dict.fromkeys(lab_ids, 0)
    for lab_id, user_id in participants:
        mine = dates[lab_id][1]
        if not any(other != lab_id and _is_later(dates[other][1], mine) for other in labs_of.get(user_id, ())):
            counts[lab_id] += 1
    return counts


def _stakeholder_counts(lab_ids: list[int]) -> dict[int, int]:
    counts = dict.fromkeys(lab_ids, 0)
    for statement in (
        select(ReturnDay.lab_id, func.count(Invitation.id)).join(Invitation.return_day)
        .where(ReturnDay.lab_id.in_(lab_ids), Invitation.user_id.is_(None), Invitation.email != "")
        .group_by(ReturnDay.lab_id),
        select(SpeedlabSession.lab_id, func.count(SpeedlabInvitation.id))
        .join(SpeedlabSession, SpeedlabInvitation.session_id == SpeedlabSession.id)
        .where(SpeedlabSession.lab_id.in_(lab_ids), SpeedlabInvitation.user_id.is_(None),
               SpeedlabInvitation.email != "")
        .group_by(SpeedlabSession.lab_id),
    ):
        for lab_id, count in db.session.execute(statement):
            counts[lab_id] += count
    return counts


def _unpurged_in_purge_order(dates: dict) -> list[tuple[int, str]]:
    labs = db.session.execute(select(Lab.id, Lab.name).where(Lab.personal_data_purged_at.is_(None))).all()
    return sorted(labs, key=lambda lab: (dates[lab.id][1] is None, dates[lab.id][1] or date.max, lab.id))


def purge_plans_page(*, page: int) -> Page:
    """One page of the Labs whose data is not purged yet, soonest purge first, with whom it will
    touch. A fixed number of statements (seven) however many Labs and people there are."""
    dates = _purge_dates()
    labs = paginate_sequence(_unpurged_in_purge_order(dates), page=page)
    lab_ids = [lab_id for lab_id, _ in labs]
    people = _people_counts(lab_ids, dates) if lab_ids else {}
    addresses = _stakeholder_counts(lab_ids) if lab_ids else {}
    labs.items = [PurgeRow(lab_id=lab_id, lab_name=name, day_100=dates[lab_id][0], purge_on=dates[lab_id][1],
                           people=people[lab_id], stakeholder_addresses=addresses[lab_id])
                  for lab_id, name in labs]
    return labs




def people_page(text: str | None, *, page: int) -> Page:
    """People a facilitator can open for inzage or erasure: not erased, found by name or address."""
    return paginate(accounts.people_query(text), page=page)


# --- Per person: who goes when, and postponements -------------------------------------------------

@dataclass
class PersonRetention:
    """One person on the retention page: when the purge anonymises them and why not before."""

    user: User
    labs: list[str]
    # The retention date of the last of their Labs; None while one of them has no day 100 yet.
    purge_on: date | None
    postponement: RetentionPostponement | None

    @property
    def anonymised_on(self) -> date | None:
        """The night the purge takes them: the retention date, or the end of a postponement."""
        return _anonymised_on(self.purge_on, self.postponement.until if self.postponement else None)

    def due(self, today: date) -> bool:
        return self.anonymised_on is not None and self.anonymised_on <= today


def _anonymised_on(purge_on: date | None, until: date | None) -> date | None:
    if purge_on is None:
        return None
    return max(purge_on, until) if until else purge_on


def _facilitator():
    return exists(select(UserRole.user_id).where(UserRole.user_id == User.id,
                                                 UserRole.role == Role.FACILITATOR.value))


def _person_dates(dates: dict, text: str | None = None) -> dict[int, tuple[date | None, set[int]]]:
    """(retention date, Lab ids) of every participant the purge will anonymise one day, optionally
    only those whose name, address or organisation contains `text`. One statement."""
    # NOT IN (a set of ids), not a correlated NOT EXISTS per row: SQLite then builds the set once.
    staff = select(UserRole.user_id).where(UserRole.role == Role.FACILITATOR.value)
    query = (select(Participation.user_id, Participation.lab_id).join(User, Participation.user_id == User.id)
             .where(User.erased_at.is_(None), Participation.user_id.not_in(staff)))
    if text:
        query = query.where(person_matches(text, organisation=True))
    labs_of: dict[int, set[int]] = {}
    for user_id, lab_id in db.session.execute(query):
        labs_of.setdefault(user_id, set()).add(lab_id)
    result = {}
    for user_id, lab_ids in labs_of.items():
        purge_dates = [dates[lab_id][1] for lab_id in lab_ids]
        result[user_id] = (None if None in purge_dates else max(purge_dates), lab_ids)
    return result


def _postponements(user_ids=None) -> dict[int, RetentionPostponement]:
    """Postponements (of these people; of everyone: a short table, read whole rather than with an
    IN list of thousands of ids)."""
    query = select(RetentionPostponement).options(joinedload(RetentionPostponement.by))
    if user_ids is not None:
        user_ids = list(user_ids)
        if not user_ids:
            return {}
        query = query.where(RetentionPostponement.user_id.in_(user_ids))
    return {row.user_id: row for row in db.session.scalars(query)}


def retention_people_page(text: str | None, *, page: int) -> Page:
    """One page of the people the purge will anonymise, soonest first (not yet known last), found
    by name, address or organisation. Six statements however many people there are."""
    dates = _purge_dates()
    people = _person_dates(dates, text)
    rows = _postponements()
    postponed = {user_id: row.until for user_id, row in rows.items()}

    def order(user_id):
        when = _anonymised_on(people[user_id][0], postponed.get(user_id))
        return (when is None, when or date.max, user_id)

    result = paginate_sequence(sorted(people, key=order), page=page)
    ids = list(result.items)
    users = {user.id: user for user in db.session.scalars(
        select(User).options(joinedload(User.organisation)).where(User.id.in_(ids)))} if ids else {}
    names = dict(db.session.execute(select(Lab.id, Lab.name).where(
        Lab.id.in_({lab_id for user_id in ids for lab_id in people[user_id][1]}))).all()) if ids else {}
    result.items = [PersonRetention(user=users[user_id], labs=sorted(names[lab_id] for lab_id in people[user_id][1]),
                                    purge_on=people[user_id][0], postponement=rows.get(user_id))
                    for user_id in ids]
    return result


def person_retention(user: User) -> PersonRetention | None:
    """The retention of one person, or None when the purge never takes them (staff, no Lab, erased)."""
    if user.erased_at is not None or user.has_role(Role.FACILITATOR):
        return None
    lab_ids = set(db.session.scalars(select(Participation.lab_id).where(Participation.user_id == user.id)))
    if not lab_ids:
        return None
    dates = _purge_dates()
    purge_dates = [dates[lab_id][1] for lab_id in lab_ids]
    return PersonRetention(user=user, labs=sorted(db.session.scalars(select(Lab.name).where(Lab.id.in_(lab_ids)))),
                           purge_on=None if None in purge_dates else max(purge_dates),
                           postponement=db.session.get(RetentionPostponement, user.id))


class PostponementRefused(ValueError):
    """Bad input for a postponement; `field` names the form field the message belongs to."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


MAX_POSTPONEMENT_YEARS = 10
MAX_REASON = 1000


def postpone(user: User, *, until: date | None, reason: str, by: User, now: datetime | None = None,
             today: date | None = None) -> RetentionPostponement:
    """Keep one person's data until `until` (the purge takes them that night at the earliest),
    for a reason the facilitator states. Replaces an earlier postponement; audited."""
    now = now or utcnow()
    today = today or local(now).date()
    reason = (reason or "").strip()
    if user.erased_at is not None:
        raise PostponementRefused("until", _("Deze persoon is al gewist."))
    if until is None:
        raise PostponementRefused("until", _("Vul een datum in."))
    if until <= today:
        raise PostponementRefused("until", _("Kies een datum na vandaag."))
    if until > add_months(today, 12 * MAX_POSTPONEMENT_YEARS):
        raise PostponementRefused("until", _("Kies een datum binnen %(years)s jaar.", years=MAX_POSTPONEMENT_YEARS))
    if not reason:
        raise PostponementRefused("reason", _("Schrijf op waarom de gegevens langer blijven."))
    if len(reason) > MAX_REASON:
        raise PostponementRefused("reason", _("Houd de reden korter dan %(max)s tekens.", max=MAX_REASON))
    row = db.session.get(RetentionPostponement, user.id)
    if row is None:
        row = RetentionPostponement(user_id=user.id, until=until, reason=reason, by_id=by.id, created_at=now)
        db.session.add(row)
    else:
        row.until, row.reason, row.by_id, row.created_at = until, reason, by.id, now
    audit.record("retention_postponed", actor=by, subject_user=user, now=now, until=until.isoformat(),
                 reason=reason)
    db.session.flush()
    return row


def end_postponement(user: User, *, by: User, now: datetime | None = None) -> bool:
    """Withdraw a postponement: the purge follows the retention date again. Audited."""
    row = db.session.get(RetentionPostponement, user.id)
    if row is None:
        return False
    db.session.delete(row)
    audit.record("retention_postponement_ended", actor=by, subject_user=user, now=now or utcnow())
    db.session.flush()
    return True


# --- The nightly purge ------------------------------------------------------------------------------

def _remove_guest_invitations(invitations: list[SpeedlabInvitation]) -> None:
    """A guest's idea stays on the wall as one the room wrote down; the guest's row goes."""
    ids = [invitation.id for invitation in invitations]
    if ids:
        db.session.execute(update(Idea).where(Idea.author_id.in_(ids)).values(author_id=None)
                           .execution_options(synchronize_session=False))
        db.session.execute(delete(SpeedlabInvitation).where(SpeedlabInvitation.id.in_(ids))
                           .execution_options(synchronize_session=False))


def purge_lab(lab: Lab, *, now: datetime | None = None, today: date | None = None) -> PlannedPurge:
    """A Lab's retention date has come: its participants in no later Lab are anonymised (unless
    their purge is postponed beyond `today`), its stakeholders' and guests' addresses go."""
    now = now or utcnow()
    today = today or local(now).date()
    people = people_to_anonymise(lab)
    postponed = {user_id for user_id, row in _postponements(user.id for user in people).items() if row.until > today}
    plan = PlannedPurge(lab=lab, day_100=day_100(lab), purge_on=purge_date(lab),
                        people=[user for user in people if user.id not in postponed], stakeholder_addresses=0)
    lab_id = lab.id
    for user in plan.people:
        anonymise(user, now=now)
    lab = plan.lab = db.session.get(Lab, lab_id)
    for invitation in _stakeholder_invitations(lab):
        db.session.execute(delete(OutboxMessage).where(OutboxMessage.recipient == invitation.email))
        db.session.delete(invitation)
        plan.stakeholder_addresses += 1
    guests = _guest_invitations(lab)
    plan.stakeholder_addresses += len(guests)
    _remove_guest_invitations(guests)
    lab.personal_data_purged_at = now
    audit.record("privacy_purged", obj=lab, now=now, people=len(plan.people),
                 stakeholder_addresses=plan.stakeholder_addresses, postponed=len(postponed) or None)
    db.session.flush()
    return plan


def purge_due(*, now: datetime | None = None, today: date | None = None) -> list[PlannedPurge]:
    """Every Lab whose retention date has come (see `purge_lab`)."""
    now = now or utcnow()
    today = today or local(now).date()
    dates = _purge_dates()
    due = [lab_id for lab_id, _name in _unpurged_in_purge_order(dates)
           if dates[lab_id][1] is not None and dates[lab_id][1] <= today]
    return [purge_lab(db.session.get(Lab, lab_id), now=now, today=today) for lab_id in due]


def purge_postponed_due(*, now: datetime | None = None, today: date | None = None) -> int:
    """People whose postponement has ended and whose Labs are all past their retention date: the
    purge passed them by, and takes them now. Audited per person."""
    now = now or utcnow()
    today = today or local(now).date()
    rows = list(db.session.scalars(select(RetentionPostponement).where(RetentionPostponement.until <= today)))
    if not rows:
        return 0
    people = _person_dates(_purge_dates())
    done = 0
    for row in rows:
        purge_on = people.get(row.user_id, (None, set()))[0]
        if purge_on is None or purge_on > today:
            continue
        user = db.session.get(User, row.user_id)
        anonymise(user, now=now)
        audit.record("retention_person_purged", subject_user=user, now=now)
        done += 1
    db.session.flush()
    return done
