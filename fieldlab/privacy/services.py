"""Retention and the rights of the people in the app (AVG).

A Lab's personal data is kept for RETENTION_MONTHS after its day 100 (the last day 100 of its
teams, or the programme's end for a Lab without challenges). Then its participants who take part
in no later Lab are anonymised and its stakeholders' e-mail addresses deleted. Aggregates stay:
grades, counts, organisations, the teams' work. People are anonymised rather than deleted, so the
rows that point at them (audit events, cards, responses) keep their integrity without a name.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import delete, exists, func, select

from fieldlab.audit import services as audit
from fieldlab.audit.models import AuditEvent
from fieldlab.auth import services as accounts
from fieldlab.auth.models import RecoveryCode, Role, User, UserRole
from fieldlab.boards import services as boards
from fieldlab.boards.models import CHALLENGE_DAYS, BoardCard, BoardEvent, Challenge, ProgressUpdate
from fieldlab.evaluations.models import EvaluationRequest, EvaluationResponse
from fieldlab.extensions import db
from fieldlab.labs.models import Lab, ParticipantProfile, Participation
from fieldlab.mail.models import OutboxMessage
from fieldlab.paging import Page, paginate, paginate_sequence
from fieldlab.problems.models import Problem
from fieldlab.returndays.models import Invitation, ReturnDay
from fieldlab.speedlabs.models import Idea, SpeedlabInvitation, SpeedlabSession
from fieldlab.teams.models import Membership, Team
from fieldlab.timeutil import local, utcnow

ANONYMOUS_DOMAIN = "geanonimiseerd.invalid"


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


def is_anonymised(user: User) -> bool:
    return user.email.endswith("@" + ANONYMOUS_DOMAIN)


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
    """People a facilitator can open for inzage or erasure: not yet anonymised, found by name or
    e-mail address."""
    query = accounts.people_query(text).where(~User.email.endswith("@" + ANONYMOUS_DOMAIN))
    return paginate(query, page=page)


def anonymise(user: User, *, now: datetime) -> None:
    """Keep the row (and what points at it), lose the person: name, address, login and profile."""
    address, old_name = user.email, user.name
    user.name = f"Oud-deelnemer {user.id}"
    user.email = f"persoon-{user.id}@{ANONYMOUS_DOMAIN}"
    user.password_hash = None
    user.active = False
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    user.end_all_sessions()
    user.password_version += 1
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    boards.people_renamed({user.id: (old_name, user.name)})
    profile = db.session.get(ParticipantProfile, user.id)
    if profile is not None:
        profile.expertise = []
        profile.note = ""
    # Messages to the person carry their name and address.
    db.session.execute(delete(OutboxMessage).where(OutboxMessage.recipient == address))
    # A named evaluation answer stays as a grade, without the name: it becomes an anonymous one.
    for response in db.session.scalars(select(EvaluationResponse).where(EvaluationResponse.user_id == user.id)):
        response.anonymous = True
        response.user_id = None
        response.submitted_at = None
    db.session.flush()


def purge_lab(lab: Lab, *, now: datetime | None = None) -> PlannedPurge:
    now = now or utcnow()
    plan = PlannedPurge(lab=lab, day_100=day_100(lab), purge_on=purge_date(lab), people=people_to_anonymise(lab),
                        stakeholder_addresses=0)
    for user in plan.people:
        anonymise(user, now=now)
    for invitation in _stakeholder_invitations(lab):
        db.session.execute(delete(OutboxMessage).where(OutboxMessage.recipient == invitation.email))
        invitation.email = ""
        invitation.name = ""
        plan.stakeholder_addresses += 1
    for invitation in _guest_invitations(lab):
        invitation.email = ""
        invitation.name = ""
        plan.stakeholder_addresses += 1
    lab.personal_data_purged_at = now
    audit.record("privacy_purged", obj=lab, now=now, people=len(plan.people),
                 stakeholder_addresses=plan.stakeholder_addresses)
    db.session.flush()
    return plan


def purge_due(*, now: datetime | None = None, today: date | None = None) -> list[PlannedPurge]:
    now = now or utcnow()
    today = today or local(now).date()
    dates = _purge_dates()
    due = [lab_id for lab_id, _ in _unpurged_in_purge_order(dates)
           if dates[lab_id][1] is not None and dates[lab_id][1] <= today]
    return [purge_lab(db.session.get(Lab, lab_id), now=now) for lab_id in due]


def _iso(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def export_person(user: User, *, by: User, now: datetime | None = None) -> dict:
    """Everything the app holds about one person (AVG art. 15), as plain data for a JSON file."""
    now = now or utcnow()
    profile = db.session.get(ParticipantProfile, user.id)
    data = {
        "exported_at": _iso(now),
        "account": {
            "id": user.id, "name": user.name, "email": user.email, "locale": user.locale, "active": user.active,
            "roles": sorted(role.value for role in user.roles),
            "organisation": user.organisation.name if user.organisation else None,
            "created_at": _iso(user.created_at), "last_login_at": _iso(user.last_login_at),
            "two_factor": user.has_two_factor,
        },
        "profile": {"level": profile.level, "expertise": list(profile.expertise or []), "note": profile.note}
        if profile else None,
        "labs": [{"lab": p.lab.name, "registered_at": _iso(getattr(p, "registered_at", None)),
                  "manager": p.manager.name if p.manager else None}
                 for p in db.session.scalars(select(Participation).where(Participation.user_id == user.id))],
        "managed_participants": [p.user.name for p in db.session.scalars(
            select(Participation).where(Participation.manager_id == user.id))],
        "teams": [{"team": m.team.name, "lab": m.team.lab.name, "role": m.role}
                  for m in db.session.scalars(select(Membership).where(Membership.user_id == user.id))],
        "problems_submitted": [{"title": p.title, "status": p.status, "created_at": _iso(p.created_at)}
                               for p in db.session.scalars(select(Problem).where(Problem.commissioner_id == user.id))],
        "board_cards_owned": [{"title": c.title, "column": c.column_key}
                              for c in db.session.scalars(select(BoardCard).where(BoardCard.owner_id == user.id))],
        "board_activity": [{"kind": e.kind, "at": _iso(e.at)}
                           for e in db.session.scalars(select(BoardEvent).where(BoardEvent.actor_id == user.id))],
        "progress_updates": [{"at": _iso(u.created_at), "status": u.status, "went_well": u.went_well,
                              "stuck": u.stuck, "help_needed": u.help_needed, "hours_spent": u.hours_spent}
                             for u in db.session.scalars(select(ProgressUpdate).where(ProgressUpdate.author_id == user.id))],
        "return_day_invitations": [{"return_day": i.return_day_id, "role": i.role, "response": i.response,
                                    "remark": i.remark, "responded_at": _iso(i.responded_at)}
                                   for i in db.session.scalars(select(Invitation).where(
                                       (Invitation.user_id == user.id) | (Invitation.email == user.email)))],
        "evaluation_requests": [{"form": r.form.title, "answered": r.used, "requested_at": _iso(r.requested_at)}
                                for r in db.session.scalars(select(EvaluationRequest).where(
                                    EvaluationRequest.user_id == user.id))],
        "named_evaluation_answers": [
            {"form": response.form_id, "submitted_at": _iso(response.submitted_at),
             "answers": [{"question": a.question_id, "grade": a.grade, "choice": a.choice, "text": a.text}
                         for a in response.answers]}
            for response in db.session.scalars(select(EvaluationResponse).where(EvaluationResponse.user_id == user.id))
        ],
        "speedlabs": [{"session": i.session.title, "status": i.status}
                      for i in db.session.scalars(select(SpeedlabInvitation).where(
                          (SpeedlabInvitation.user_id == user.id) | (SpeedlabInvitation.email == user.email)))],
        "speedlab_ideas": [{"title": idea.title, "explanation": idea.explanation} for idea in db.session.scalars(
            select(Idea).join(SpeedlabInvitation, Idea.author_id == SpeedlabInvitation.id)
            .where(SpeedlabInvitation.user_id == user.id))],
        "messages": [{"subject": m.subject, "status": m.status, "created_at": _iso(m.created_at)}
                     for m in db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == user.email))],
        "audit_events": [{"action": e.action, "at": _iso(e.at), "as": "actor" if e.actor_id == user.id else "subject"}
                         for e in db.session.scalars(select(AuditEvent).where(
                             (AuditEvent.actor_id == user.id) | (AuditEvent.subject_user_id == user.id))
                             .order_by(AuditEvent.at))],
    }
    audit.record("person_exported", actor=by, subject_user=user, now=now)
    return data


class ErasureRefused(Exception):
    pass


def erase_person(user: User, *, by: User, now: datetime | None = None) -> None:
    """Erasure on request (AVG art. 17): anonymise now, whatever the retention period."""
    from flask_babel import gettext as _

    now = now or utcnow()
    if user.id == by.id:
        raise ErasureRefused(_("U kunt uzelf niet wissen. Vraag een andere facilitator."))
    address = user.email
    for invitation in db.session.scalars(select(Invitation).where(Invitation.email == address,
                                                                  Invitation.user_id.is_(None))):
        invitation.email = ""
        invitation.name = ""
    anonymise(user, now=now)
    audit.record("person_erased", actor=by, subject_user=user, now=now)
