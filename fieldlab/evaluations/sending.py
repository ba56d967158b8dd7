"""Asking people: who is asked, the request and reminder mails with their signed links, opening
and closing a form, and the scheduled jobs that do this for a programme or a terugkomdag.

It stands alone because it is the part that reaches people outside the app (the outbox, the
scheduler, the links in their mail), and the part other features call: return days ask for their
evaluation here, the home page lists a person's open requests, and the outbox asks whether a
queued mail should still go.
"""

import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import cache

from flask import current_app
from flask_babel import LazyString, format_date
from flask_babel import gettext as _
from sqlalchemy import Integer, bindparam, or_, select
from sqlalchemy.orm import selectinload

from fieldlab import links
from fieldlab.audit import services as audit
from fieldlab.auth.models import User
from fieldlab.evaluations.defaults import RETURN_DAY_TITLE, in_dutch
from fieldlab.evaluations.models import EvaluationForm, EvaluationRequest
from fieldlab.evaluations.services import EvaluationError, FormNotOpen, InvalidLink, create_form
from fieldlab.extensions import db
from fieldlab.labs.models import Lab, Participation
from fieldlab.mail.services import external_url, queue_message
from fieldlab.returndays.models import ReturnDay
from fieldlab.scheduler import add_job, current
from fieldlab.teams.models import Team
from fieldlab.timeutil import LOCAL_ZONE, as_utc, local, utcnow

REMINDER_AFTER = timedelta(days=5)
LINK_SALT = "fieldlab.evaluation"


# --- Asking: requests, links, reminders, closing -----------------------------------------------

def recipient_ids(form: EvaluationForm) -> list[int]:
    """Who is asked: the Lab's participants for a programme form; for a terugkomdag form, the people
    added with `add_recipients` (or passed to `create_requests`) by the return-days feature."""
    ids = set(db.session.scalars(select(EvaluationRequest.user_id).where(EvaluationRequest.form_id == form.id)))
    if not form.is_return_day_form and form.lab_id is not None:
        ids |= set(db.session.scalars(select(Participation.user_id).join(User, Participation.user_id == User.id)
                                      .where(Participation.lab_id == form.lab_id, User.erased_at.is_(None))))
    return sorted(ids)


def add_recipients(form: EvaluationForm, user_ids) -> list[EvaluationRequest]:
    """Make sure each person has a request row (no mail yet)."""
    existing = {request.user_id: request for request in db.session.scalars(
        select(EvaluationRequest).where(EvaluationRequest.form_id == form.id))}
    for user_id in dict.fromkeys(user_ids):
        if user_id not in existing:
            existing[user_id] = EvaluationRequest(form_id=form.id, user_id=user_id)
            db.session.add(existing[user_id])
    db.session.flush()
    return [existing[user_id] for user_id in dict.fromkeys(user_ids)]


def open_form(form: EvaluationForm, *, now: datetime) -> None:
    if form.opened_at is None:
        form.opened_at = now
        form.deadline_at = now + timedelta(days=form.deadline_days)
        db.session.flush()


def create_requests(form: EvaluationForm, user_ids, *, by: User | None = None,
                    now: datetime | None = None) -> list[EvaluationRequest]:
    """Open the form and queue one request mail per person. Re-running never mails twice (the
    outbox key is per form and person), and people who already answered are not asked again."""
    now = now or utcnow()
    if form.is_closed(now):
        raise FormNotOpen(_("Deze evaluatie is gesloten."))
    if not form.active_questions:
        raise EvaluationError(_("Deze evaluatie heeft nog geen vragen."))
    requests = add_recipients(form, user_ids)
    if not requests:
        raise EvaluationError(_("Er is niemand om de evaluatie naar te sturen."))
    open_form(form, now=now)
    people = {user.id: user for user in db.session.scalars(select(User).where(
        User.id.in_([request.user_id for request in requests])))}
    for request in requests:
        person = people[request.user_id]
        if request.used or not person.active:
            continue
        _mail(request, person, "evaluation_request", key=f"evaluation:form{form.id}:user{person.id}:request",
              now=now)
        request.requested_at = request.requested_at or now
    if by is not None:
        audit.record("evaluation_sent", actor=by, obj=form, now=now, recipients=len(requests))
    db.session.flush()
    return requests


def remind_non_responders(form: EvaluationForm, *, now: datetime | None = None) -> int:
    """One reminder to each person who has not answered, at least REMINDER_AFTER after the request."""
    now = now or utcnow()
    if not form.is_open(now):
        return 0
    due = db.session.scalars(
        select(EvaluationRequest).options(selectinload(EvaluationRequest.user))
        .where(EvaluationRequest.form_id == form.id, EvaluationRequest.used.is_(False),
               EvaluationRequest.reminded_at.is_(None), EvaluationRequest.requested_at.is_not(None),
               EvaluationRequest.requested_at <= now - REMINDER_AFTER)
    ).all()
    count = 0
    for request in due:
        if not request.user.active:
            continue
        _mail(request, request.user, "evaluation_reminder",
              key=f"evaluation:form{form.id}:user{request.user_id}:reminder", now=now)
        request.reminded_at = now
        count += 1
    db.session.flush()
    return count


def close_form(form: EvaluationForm, *, by: User | None = None, now: datetime | None = None) -> None:
    now = now or utcnow()
    if form.closed_at is None:
        form.closed_at = now
        if by is not None:
            audit.record("evaluation_closed", actor=by, obj=form, now=now)
        db.session.flush()


def _mail(request: EvaluationRequest, person: User, template: str, *, key: str, now: datetime) -> None:
    form = request.form
    deadline = form.deadline_at.astimezone(LOCAL_ZONE) if form.deadline_at else None
    queue_message(key=key, to=person.email, template=template, locale=person.locale or "nl", now=now,
                  person=person, form=form, subject_name=subject_name(form), deadline=deadline,
                  link=external_url("evaluations.answer_by_link", token=make_link_token(request)))


def form_subject(form: EvaluationForm) -> str:
    """What a form is for, enough to tell two forms with one title apart: the Lab, and for a
    return day's form the team and the date ("Field Lab X · Team Kompas · terugkomdag 4 dec 2026")."""
    return_day = form.return_day
    return _subject(form.lab.name if form.lab is not None else None, return_day is not None,
                    return_day.team.name if return_day is not None and return_day.team is not None else None,
                    return_day.starts_at if return_day is not None else None)


def _subject(lab_name: str | None, for_return_day: bool, team_name: str | None, starts_at: datetime | None) -> str:
    parts = [lab_name] if lab_name is not None else []
    if for_return_day and starts_at is not None:
        if team_name is not None:
            parts.append(team_name)
        parts.append(_("terugkomdag %(date)s", date=format_date(as_utc(starts_at).astimezone(LOCAL_ZONE).date(),
                                                                "medium")))
    else:
        parts.append(_("programma"))
    return " · ".join(parts)


def subject_name(form: EvaluationForm) -> str:
    """What is evaluated, in words a participant recognises (no case content): the return day by
    its team, day number and date, so its request is not mistaken for the programme's
    evaluation; else the Lab's name. Lazy, so a mail renders it in the recipient's language."""
    if form.return_day is not None:
        return_day = form.return_day
        owner = return_day.team.name if return_day.team is not None else return_day.lab.name
        return LazyString(_return_day_subject, return_day.day_number, owner, local(return_day.starts_at).date())
    if form.lab is not None:
        return form.lab.name
    return form.title


def _return_day_subject(number: int, owner: str, day) -> str:
    return _("de terugkomdag van dag %(number)s van %(owner)s op %(day)s", number=number, owner=owner,
             day=format_date(day, "d MMMM y"))


def make_link_token(request: EvaluationRequest) -> str:
    return links.sign(LINK_SALT, {"r": request.id, "n": request.nonce})


def request_for_token(token: str) -> EvaluationRequest:
    """The request a mailed link stands for. The link's own age limit is generous; the form's
    deadline is what really closes it."""
    max_age = current_app.config.get("EVALUATION_LINK_MAX_AGE", timedelta(days=90))
    try:
        data = links.unsign(LINK_SALT, token, max_age=max_age)
    except links.LinkError as error:
        raise InvalidLink(error.reason) from error
    request = db.session.get(EvaluationRequest, data.get("r"))
    if request is None or not hmac.compare_digest(request.nonce, str(data.get("n", ""))):
        raise InvalidLink("unknown")
    return request


def request_for_user(form: EvaluationForm, user: User) -> EvaluationRequest | None:
    return db.session.scalar(select(EvaluationRequest).where(
        EvaluationRequest.form_id == form.id, EvaluationRequest.user_id == user.id))


@dataclass(frozen=True)
class OpenEvaluation:
    """An open evaluation on the home page: what its line links to and says, as one row."""

    form_id: int
    title: str
    deadline_at: datetime | None
    lab_name: str | None
    for_return_day: bool
    return_day_team: str | None
    return_day_starts_at: datetime | None

    @property
    def subject(self) -> str:
        """As `form_subject` says it."""
        return _subject(self.lab_name, self.for_return_day, self.return_day_team, self.return_day_starts_at)


def open_requests_for(user: User, *, now: datetime) -> list[OpenEvaluation]:
    """The home page's 'Open evaluaties': asked, not answered, still open (`EvaluationForm.is_open`,
    in SQL). Every home page asks it: as rows on the session's connection, the request, its form,
    Lab, return day and team loaded as objects cost ten times the statement."""
    rows = db.session.connection().execute(_open_requests_statement(), {"user_id": user.id, "now": now})
    return [OpenEvaluation(*row) for row in rows]


@cache
def _open_requests_statement():
    """Built once, the person and the moment as parameters."""
    return (select(EvaluationForm.id, EvaluationForm.title, EvaluationForm.deadline_at, Lab.name,
                   EvaluationForm.return_day_id.is_not(None), Team.name, ReturnDay.starts_at)
            .select_from(EvaluationRequest).join(EvaluationForm, EvaluationForm.id == EvaluationRequest.form_id)
            .outerjoin(Lab, Lab.id == EvaluationForm.lab_id)
            .outerjoin(ReturnDay, ReturnDay.id == EvaluationForm.return_day_id)
            .outerjoin(Team, Team.id == ReturnDay.team_id)
            .where(EvaluationRequest.user_id == bindparam("user_id", type_=Integer),
                   EvaluationRequest.used.is_(False), EvaluationForm.opened_at.is_not(None),
                   EvaluationForm.closed_at.is_(None),
                   or_(EvaluationForm.deadline_at.is_(None),
                       EvaluationForm.deadline_at > bindparam("now", type_=EvaluationForm.deadline_at.type)))
            .order_by(EvaluationForm.deadline_at, EvaluationForm.id))


# --- Scheduling ---------------------------------------------------------------------------------

def return_day_form(return_day, *, now: datetime) -> EvaluationForm:
    """The return day's form, made on first use from the default questions."""
    form = db.session.scalar(select(EvaluationForm).where(EvaluationForm.return_day_id == return_day.id))
    if form is None:
        form = create_form(lab=return_day.lab, return_day_id=return_day.id, now=now,
                           title=in_dutch(RETURN_DAY_TITLE) % {"day": return_day.day_number})
    return form


def request_return_day_evaluation(return_day, *, now: datetime) -> EvaluationForm | None:
    """Called when a return day ends: team members who did not say no get a request; the reminder
    and the closing are scheduled when a scheduler runs in this process (the lazy deadline check
    closes the form anyway)."""
    user_ids = sorted({invitation.user_id for invitation in return_day.invitations
                       if invitation.user_id is not None and invitation.removed_at is None
                       and invitation.role == "member" and invitation.response != "no"})
    if not user_ids:
        return None
    form = return_day_form(return_day, now=now)
    if form.is_closed(now):
        return form
    create_requests(form, user_ids, now=now)
    scheduler = current()
    if scheduler is not None:
        schedule_followups(scheduler, form, sent_at=now)
    return form


def outbox_withdrawal_reason(message, now: datetime) -> str | None:
    """A queued evaluation request or reminder whose form has closed is not sent anymore."""
    match = re.match(r"^evaluation:form(\d+):", message.idempotency_key)
    if match is None:
        return None
    form = db.session.get(EvaluationForm, int(match.group(1)))
    if form is None or form.is_closed(now):
        return _("het evaluatieformulier is gesloten")
    return None


def schedule_followups(scheduler, form: EvaluationForm, *, sent_at: datetime) -> None:
    ids = job_ids(form.id)
    add_job(scheduler, ids["remind"], "fieldlab.evaluations.jobs:remind_non_responders", form.id,
            trigger="date", run_date=sent_at + REMINDER_AFTER)
    add_job(scheduler, ids["close"], "fieldlab.evaluations.jobs:close_form", form.id,
            trigger="date", run_date=sent_at + timedelta(days=form.deadline_days))


def job_ids(form_id: int) -> dict[str, str]:
    return {name: f"evaluation:{form_id}:{name}" for name in ("request", "remind", "close")}


def programme_end(lab: Lab) -> datetime | None:
    """The end of a programme's last intensive day (17:00 local time), when its evaluation goes out."""
    if lab.programme_ends_on is None:
        return None
    return datetime.combine(lab.programme_ends_on, time(17, 0), tzinfo=LOCAL_ZONE).astimezone(UTC)


def schedule_evaluation_jobs(scheduler, form: EvaluationForm, *, send_at: datetime) -> dict[str, str]:
    """Request at `send_at`, reminder REMINDER_AFTER later, closing at the deadline. Ids only and
    deterministic job ids, so scheduling again (a moved date) replaces the jobs."""
    ids = job_ids(form.id)
    add_job(scheduler, ids["request"], "fieldlab.evaluations.jobs:request_evaluations", form.id,
            trigger="date", run_date=send_at)
    schedule_followups(scheduler, form, sent_at=send_at)
    return ids
