"""Terugkomdagen: proposing and planning them, who is invited, the messages around them, RSVP,
the agreements made on the day and the pack for the day.

Services take the acting user and the time explicitly and flush; the route or the job wrapper
commits. Messages only ever go into the outbox, each with an idempotency key that names the return
day, the recipient and the SEQUENCE (`invite:returnday42:user7:seq3`), so re-running anything can
never send the same message twice.
"""

import hmac
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import holidays
from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from sqlalchemy import and_, or_, select

from fieldlab import links
from fieldlab.audit import services as audit
from fieldlab.auth.models import User, normalise_email
from fieldlab.auth.permissions import can
from fieldlab.boards import services as boards
from fieldlab.boards import tracking
from fieldlab.boards.models import RETURN_DAY_NUMBERS, Challenge, Column
from fieldlab.extensions import db
from fieldlab.labs.models import Lab
from fieldlab.mail.models import OutboxMessage
from fieldlab.mail.services import external_url, queue_message
from fieldlab.problems.services import NextReturnDay
from fieldlab.returndays import ics
from fieldlab.returndays.models import (
    DEFAULT_INVITATION_DAYS_BEFORE,
    Invitation,
    InviteeRole,
    JobKind,
    LabReturnDaySetting,
    Response,
    ReturnDay,
    ReturnDayAction,
    ReturnDayJob,
    ReturnDayStatus,
)
from fieldlab.teams.models import Team
from fieldlab.timeutil import LOCAL_ZONE, as_utc, local

DEFAULT_START = time(9, 30)
DEFAULT_END = time(16, 0)
# Scheduled steps happen at this local time on their day (the evaluation request: at the day's end).
STEP_TIME = time(9, 0)
REMINDER_DAYS_BEFORE = 5
PRACTICAL_DAYS_BEFORE = 1
NUDGE_DAYS_BEFORE = 3
RSVP_SALT = "fieldlab.rsvp"
RSVP_MAX_AGE = timedelta(days=400)


class ReturnDayError(Exception):
    """A rule of return days was broken; the message is Dutch and meant for the user."""


# --- Proposing dates ----------------------------------------------------------------------

@dataclass
class Proposal:
    day_number: int
    natural_date: date
    proposed_date: date
    reason: str = ""


def _holidays_for(year: int):
    return holidays.NL(years=[year, year + 1], language="nl")


def next_working_day(day: date) -> tuple[date, str]:
    """The day itself when it is a working day, else the next one, with the Dutch reason."""
    public = _holidays_for(day.year)
    candidate = day
    while candidate.weekday() >= 5 or candidate in public:
        candidate += timedelta(days=1)
    if candidate == day:
        return day, ""
    cause = public.get(day) or format_date(day, "EEEE")
    return candidate, _("valt op %(cause)s, voorgesteld: %(day)s", cause=cause,
                        day=format_date(candidate, "EEEE d MMMM y"))


def proposals_for(starts_on: date) -> list[Proposal]:
    proposals = []
    for number in RETURN_DAY_NUMBERS:
        natural = starts_on + timedelta(days=number - 1)
        proposed, reason = next_working_day(natural)
        proposals.append(Proposal(number, natural, proposed, reason))
    return proposals


def propose_return_days(challenge: Challenge, *, by=None, now: datetime | None = None) -> list[Proposal]:
    """The three proposed return days of a challenge (day 1, 50, 100), nothing written."""
    if challenge.starts_on is None:
        return []
    return proposals_for(challenge.starts_on)


def settings_for(lab: Lab) -> LabReturnDaySetting:
    setting = db.session.get(LabReturnDaySetting, lab.id)
    if setting is None:
        setting = LabReturnDaySetting(lab_id=lab.id, invitation_days_before=DEFAULT_INVITATION_DAYS_BEFORE,
                                      shared=False)
        db.session.add(setting)
        db.session.flush()
    return setting


def update_settings(lab: Lab, *, invitation_days_before: int, shared: bool, by, now: datetime) -> None:
    setting = settings_for(lab)
    changed_days = setting.invitation_days_before != invitation_days_before
    setting.invitation_days_before = invitation_days_before
    setting.shared = shared
    db.session.flush()
    if changed_days:
        for return_day in return_days_of_lab(lab):
            if return_day.status == ReturnDayStatus.CONFIRMED:
                schedule_return_day_jobs(return_day, now=now)
    audit.record("returnday_settings_changed", actor=by, obj=lab, now=now,
                 invitation_days_before=invitation_days_before, shared=shared)


def _local_moment(day: date, at: time) -> datetime:
    return as_utc(datetime.combine(day, at, tzinfo=LOCAL_ZONE))


def existing_return_day(lab: Lab, team: Team | None, day_number: int) -> ReturnDay | None:
    query = select(ReturnDay).where(ReturnDay.lab_id == lab.id, ReturnDay.day_number == day_number)
    query = query.where(ReturnDay.team_id.is_(None) if team is None else ReturnDay.team_id == team.id)
    return db.session.scalar(query)


def plan_return_days(challenge: Challenge, *, by=None, now: datetime) -> list[ReturnDay]:
    """Write the proposals of a challenge as proposed return days, for the facilitator to confirm.

    Called when a challenge gets (or changes) its start date. Days the facilitator already
    confirmed or cancelled keep their date (fieldlab.returndays.moves flags the confirmed ones that
    no longer match); proposed ones follow the new start date. In a Lab with shared return days the
    proposals are the Lab's, from the earliest start date of its teams, whichever team moved.
    """
    team = challenge.team
    lab = team.lab
    shared = settings_for(lab).shared
    source = (_first_challenge(lab) or challenge) if shared else challenge
    planned = []
    for proposal in propose_return_days(source, by=by, now=now):
        return_day = existing_return_day(lab, None if shared else team, proposal.day_number)
        if return_day is not None and return_day.status != ReturnDayStatus.PROPOSED:
            planned.append(return_day)
            continue
        if return_day is None:
            return_day = ReturnDay(lab=lab, team=None if shared else team, day_number=proposal.day_number,
                                   status=ReturnDayStatus.PROPOSED, place=lab.place or "", agenda="")
            db.session.add(return_day)
        return_day.proposed_on = proposal.proposed_date
        return_day.proposal_reason = proposal.reason
        return_day.starts_at = _local_moment(proposal.proposed_date, DEFAULT_START)
        return_day.ends_at = _local_moment(proposal.proposed_date, DEFAULT_END)
        planned.append(return_day)
    db.session.flush()
    return planned


# --- Confirming, changing, cancelling -------------------------------------------------------

@dataclass
class Details:
    """What a facilitator sets for a return day (local date and times)."""

    day: date
    start: time
    end: time
    place: str = ""
    online_link: str = ""
    agenda: str = ""

    def starts_at(self) -> datetime:
        return _local_moment(self.day, self.start)

    def ends_at(self) -> datetime:
        return _local_moment(self.day, self.end)


def details_of(return_day: ReturnDay) -> Details:
    starts, ends = local(return_day.starts_at), local(return_day.ends_at)
    return Details(day=starts.date(), start=starts.time().replace(tzinfo=None), end=ends.time().replace(tzinfo=None),
                   place=return_day.place, online_link=return_day.online_link, agenda=return_day.agenda)


def save_return_day(*, lab: Lab, team: Team | None, day_number: int, details: Details, by,
                    now: datetime) -> ReturnDay:
    """Confirm (or change) the return day `day_number` of a team, or of the Lab when team is None.

    On confirmation the invitees are gathered and the steps scheduled; invitations go out at
    once when their moment has passed already. A change of date, time, place or agenda after
    invitations went out raises SEQUENCE and sends the updated invitation to everyone invited
    who did not say no; when the day moved, it says from → to. Saving is the facilitator's
    decision about the date, so it settles a question a moved start date raised (start_moved_at).
    """
    if details.end <= details.start:
        raise ReturnDayError(_("De eindtijd moet na de begintijd liggen."))
    return_day = existing_return_day(lab, team, day_number)
    if return_day is None:
        proposal = None
        challenge = team.challenge if team is not None else _first_challenge(lab)
        if challenge is not None and challenge.starts_on is not None:
            proposal = next(p for p in proposals_for(challenge.starts_on) if p.day_number == day_number)
        return_day = ReturnDay(lab=lab, team=team, day_number=day_number, status=ReturnDayStatus.PROPOSED,
                               proposed_on=proposal.proposed_date if proposal else None,
                               proposal_reason=proposal.reason if proposal else "")
        db.session.add(return_day)
    was_confirmed = return_day.status == ReturnDayStatus.CONFIRMED
    before = (return_day.starts_at, return_day.ends_at, return_day.place, return_day.online_link, return_day.agenda)
    return_day.starts_at = details.starts_at()
    return_day.ends_at = details.ends_at()
    return_day.place = details.place.strip()
    return_day.online_link = details.online_link.strip()
    return_day.agenda = details.agenda.strip()
    after = (return_day.starts_at, return_day.ends_at, return_day.place, return_day.online_link, return_day.agenda)
    return_day.status = ReturnDayStatus.CONFIRMED
    return_day.start_moved_at = None
    changed = was_confirmed and before != after
    moved_from = before[0] if changed and before[0] != return_day.starts_at else None
    if changed:
        return_day.sequence += 1
    db.session.flush()
    sync_invitees(return_day, by=by, now=now)
    schedule_return_day_jobs(return_day, now=now)
    if changed and return_day.invitations_sent_at is not None:
        send_invitations(return_day, now=now, moved_from=moved_from)
    elif _invitation_job(return_day).run_at <= now < return_day.starts_at:  # never about the past
        send_invitations(return_day, now=now)
    audit.record("returnday_changed" if was_confirmed else "returnday_confirmed", actor=by, obj=return_day,
                 now=now, day_number=day_number, starts_at=return_day.starts_at.isoformat(),
                 sequence=return_day.sequence)
    return return_day


def cancel_return_day(return_day: ReturnDay, *, reason: str = "", by, now: datetime) -> None:
    """Cancel: everyone who had an invitation gets METHOD:CANCEL with the reason; the scheduled
    steps go."""
    if return_day.status == ReturnDayStatus.CANCELLED:
        return
    return_day.status = ReturnDayStatus.CANCELLED
    return_day.cancellation_reason = (reason or "").strip()[:500]
    return_day.sequence += 1
    for invitation in return_day.active_invitations:
        if invitation.sent_sequence is not None:
            send_cancellation(invitation, now=now)
    return_day.jobs.clear()
    db.session.flush()
    audit.record("returnday_cancelled", actor=by, obj=return_day, now=now, day_number=return_day.day_number)


def _first_challenge(lab: Lab) -> Challenge | None:
    dated = [team.challenge for team in lab.teams if team.challenge and team.challenge.starts_on]
    return min(dated, key=lambda challenge: challenge.starts_on, default=None)


def return_days_of_lab(lab: Lab) -> list[ReturnDay]:
    return db.session.scalars(
        select(ReturnDay).where(ReturnDay.lab_id == lab.id).order_by(ReturnDay.starts_at)).all()


def teams_of(return_day: ReturnDay) -> list[Team]:
    return list(return_day.lab.teams) if return_day.team is None else [return_day.team]


# --- Who is invited -----------------------------------------------------------------------

def expected_invitees(return_day: ReturnDay) -> list[tuple[User, InviteeRole]]:
    """Team members, their leidinggevenden, the opdrachtgever(s) and the Lab's facilitators."""
    lab = return_day.lab
    people: dict[int, tuple[User, InviteeRole]] = {}
    managers = {participation.user_id: participation.manager for participation in lab.participations}
    teams = teams_of(return_day)
    for row in lab.facilitator_rows:
        people.setdefault(row.user_id, (row.user, InviteeRole.FACILITATOR))
    for team in teams:
        for membership in team.memberships:
            people[membership.user_id] = (membership.user, InviteeRole.MEMBER)
    for team in teams:
        for membership in team.memberships:
            manager = managers.get(membership.user_id)
            if manager is not None:
                people.setdefault(manager.id, (manager, InviteeRole.MANAGER))
        if team.problem is not None and team.problem.commissioner is not None:
            people.setdefault(team.problem.commissioner_id, (team.problem.commissioner, InviteeRole.COMMISSIONER))
    return [(user, role) for user, role in people.values() if user.active]


def sync_invitees(return_day: ReturnDay, *, by=None, now: datetime) -> list[Invitation]:
    """Add the people who belong on the list and are not on it yet (someone a facilitator
    removed stays removed). When invitations went out already, only the new ones get one now."""
    known_users = {invitation.user_id for invitation in return_day.invitations if invitation.user_id}
    known_emails = {invitation.email for invitation in return_day.invitations}
    added = []
    for user, role in expected_invitees(return_day):
        if user.id in known_users or user.email in known_emails:
            continue
        invitation = Invitation(user=user, email=user.email, name=user.name, role=role, added_by=by)
        return_day.invitations.append(invitation)
        added.append(invitation)
    db.session.flush()
    if return_day.invitations_sent_at is not None and return_day.status == ReturnDayStatus.CONFIRMED:
        for invitation in added:
            send_invitation(invitation, now=now)
    return added


def add_stakeholder(return_day: ReturnDay, *, email: str, name: str, by, now: datetime) -> Invitation:
    """A stakeholder invited by e-mail (no account needed). Gets the invitation right away when
    the others already have theirs."""
    email = normalise_email(email)
    existing = next((invitation for invitation in return_day.invitations if invitation.email == email), None)
    if existing is not None and existing.removed_at is None:
        raise ReturnDayError(_("%(email)s is al uitgenodigd.", email=email))
    user = User.by_email(email)
    if existing is not None:
        existing.removed_at = None
        invitation = existing
    else:
        invitation = Invitation(email=email, name=name.strip() or (user.name if user else ""), user=user,
                                role=InviteeRole.STAKEHOLDER, added_by=by)
        return_day.invitations.append(invitation)
    db.session.flush()
    if return_day.invitations_sent_at is not None and return_day.status == ReturnDayStatus.CONFIRMED:
        send_invitation(invitation, now=now)
    audit.record("returnday_invitee_added", actor=by, obj=return_day, now=now, invitation=invitation.id)
    return invitation


def remove_invitee(invitation: Invitation, *, by, now: datetime) -> None:
    """Take someone off the list; only they hear of it (a cancellation for their calendar)."""
    if invitation.removed_at is not None:
        return
    invitation.removed_at = now
    if invitation.sent_sequence is not None:
        send_cancellation(invitation, now=now)
    db.session.flush()
    audit.record("returnday_invitee_removed", actor=by, obj=invitation.return_day, now=now,
                 invitation=invitation.id)


# --- Messages -----------------------------------------------------------------------------

def rsvp_link(invitation: Invitation) -> str:
    return external_url("returndays.rsvp", invitation_id=invitation.id, token=rsvp_token(invitation))


def _locale_of(invitation: Invitation) -> str:
    return invitation.user.locale if invitation.user is not None else "nl"


def _mail_context(invitation: Invitation, **extra) -> dict:
    return_day = invitation.return_day
    starts, ends = local(return_day.starts_at), local(return_day.ends_at)
    others = [other for other in return_day.active_invitations if other.id != invitation.id]
    return {
        "return_day": return_day, "invitation": invitation, "lab": return_day.lab, "team": return_day.team,
        "day": starts.date(), "start_time": starts.strftime("%H:%M"), "end_time": ends.strftime("%H:%M"),
        "others": others, "link": rsvp_link(invitation), **extra,
    }


def _key(kind: str, invitation: Invitation, suffix: str = "") -> str:
    return f"{kind}:returnday{invitation.return_day_id}:{invitation.who}:seq{invitation.return_day.sequence}{suffix}"


def send_invitation(invitation: Invitation, *, now: datetime, resend: bool = False,
                    moved_from: datetime | None = None) -> OutboxMessage:
    """The invitation (or, with a higher SEQUENCE, the update) with its .ics, to one invitee. An
    update for a day that moved (`moved_from`, the old start) says from → to."""
    return_day = invitation.return_day
    update = invitation.sent_sequence is not None and invitation.sent_sequence < return_day.sequence
    calendar = ics.invitation_calendar(invitation, method="REQUEST", now=now)
    message = queue_message(
        key=_key("invite", invitation, f":resend{int(now.timestamp())}" if resend else ""),
        to=invitation.email, template="returnday_invitation", locale=_locale_of(invitation), now=now,
        attachments=[ics.attachment(calendar, "REQUEST")], update=update,
        moved_from=local(moved_from) if update and moved_from is not None else None, **_mail_context(invitation),
    )
    if invitation.first_sent_at is None:
        invitation.first_sent_at = now
    invitation.sent_sequence = return_day.sequence
    return message


def send_invitations(return_day: ReturnDay, *, now: datetime, moved_from: datetime | None = None) -> int:
    """Everyone on the list who has not had this version of the invitation gets it, except an
    update to someone who said no: they are not coming, and a new calendar entry would put the
    day back in the calendar they took it out of."""
    if return_day.status != ReturnDayStatus.CONFIRMED:
        return 0
    sent = 0
    for invitation in return_day.active_invitations:
        if invitation.sent_sequence is not None and invitation.response == Response.NO:
            continue
        if invitation.sent_sequence != return_day.sequence:
            send_invitation(invitation, now=now, moved_from=moved_from)
            sent += 1
    if return_day.invitations_sent_at is None:
        return_day.invitations_sent_at = now
    db.session.flush()
    return sent


def send_cancellation(invitation: Invitation, *, now: datetime) -> OutboxMessage:
    calendar = ics.invitation_calendar(invitation, method="CANCEL", now=now)
    message = queue_message(
        key=_key("cancel", invitation), to=invitation.email, template="returnday_cancelled",
        locale=_locale_of(invitation), now=now, attachments=[ics.attachment(calendar, "CANCEL")],
        removed=invitation.removed_at is not None, **_mail_context(invitation),
    )
    invitation.sent_sequence = invitation.return_day.sequence
    return message


def send_reminders(return_day: ReturnDay, *, now: datetime) -> int:
    """To the invited who have not answered yet."""
    sent = 0
    for invitation in return_day.active_invitations:
        if invitation.sent_sequence is not None and invitation.response is None:
            queue_message(key=_key("reminder", invitation), to=invitation.email, template="returnday_reminder",
                          locale=_locale_of(invitation), now=now, **_mail_context(invitation))
            sent += 1
    return sent


def send_practical_reminders(return_day: ReturnDay, *, now: datetime) -> int:
    """The day before: to those who said yes."""
    sent = 0
    for invitation in return_day.active_invitations:
        if invitation.sent_sequence is not None and invitation.response == Response.YES:
            queue_message(key=_key("practical", invitation), to=invitation.email, template="returnday_practical",
                          locale=_locale_of(invitation), now=now, **_mail_context(invitation))
            sent += 1
    return sent


def send_progress_nudges(return_day: ReturnDay, *, now: datetime) -> int:
    """Three days before day 50 and 100: ask the team to bring its board up to date."""
    sent = 0
    for team in teams_of(return_day):
        for membership in team.memberships:
            user = membership.user
            if not user.active:
                continue
            queue_message(
                key=f"nudge:returnday{return_day.id}:user{user.id}:seq{return_day.sequence}", to=user.email,
                template="returnday_nudge", locale=user.locale, now=now, return_day=return_day, team=team,
                user=user, day=local(return_day.starts_at).date(),
                link=external_url("returndays.detail", return_day_id=return_day.id),
            )
            sent += 1
    return sent


def messages_of(return_day: ReturnDay) -> list[OutboxMessage]:
    """What the outbox holds for this return day, newest first."""
    return db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.idempotency_key.like(f"%:returnday{return_day.id}:%"))
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
    ).all()


# --- Scheduled steps ----------------------------------------------------------------------

def step_plan(return_day: ReturnDay) -> list[tuple[JobKind, int | None, time | None]]:
    """Which steps a return day has, each relative to it: (kind, days before, local time)."""
    days = settings_for(return_day.lab).invitation_days_before
    plan = [
        (JobKind.INVITE, days, STEP_TIME),
        (JobKind.REMINDER, REMINDER_DAYS_BEFORE, STEP_TIME),
        (JobKind.PRACTICAL, PRACTICAL_DAYS_BEFORE, STEP_TIME),
    ]
    if return_day.day_number in (50, 100):
        plan.append((JobKind.NUDGE, NUDGE_DAYS_BEFORE, STEP_TIME))
    plan.append((JobKind.EVALUATION, None, None))
    return plan


def step_moment(return_day: ReturnDay, days_before: int | None, at_local: time | None) -> datetime:
    if days_before is None:
        return return_day.ends_at
    day = local(return_day.starts_at).date() - timedelta(days=days_before)
    return _local_moment(day, at_local)


def schedule_return_day_jobs(return_day: ReturnDay, *, now: datetime) -> list[ReturnDayJob]:
    """Write (or re-time) the steps of a confirmed return day. The scheduler's jobs follow these
    rows (see jobs.run_due): moving the day moves every step, cancelling removes them."""
    if return_day.status != ReturnDayStatus.CONFIRMED:
        return_day.jobs.clear()
        db.session.flush()
        return []
    existing = {job.kind: job for job in return_day.jobs}
    wanted = step_plan(return_day)
    for kind, days_before, at_local in wanted:
        job = existing.get(kind)
        if job is None:
            job = ReturnDayJob(kind=kind)
            return_day.jobs.append(job)
        job.days_before = days_before
        job.at_local = at_local
        job.run_at = step_moment(return_day, days_before, at_local)
    wanted_kinds = {kind for kind, _days, _at in wanted}
    for job in list(return_day.jobs):
        if job.kind not in wanted_kinds:
            return_day.jobs.remove(job)
    db.session.flush()
    return list(return_day.jobs)


def _invitation_job(return_day: ReturnDay) -> ReturnDayJob:
    return next(job for job in return_day.jobs if job.kind == JobKind.INVITE)


# --- RSVP ---------------------------------------------------------------------------------

class RsvpRefused(Exception):
    """An RSVP link that cannot be used; `message` says why, in Dutch."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason

    @property
    def message(self) -> str:
        return {
            "invalid": _("Deze link klopt niet. Gebruik de link uit de laatste uitnodiging, en neem hem volledig over."),
            "expired": _("Deze link is verlopen: de terugkomdag is al begonnen of voorbij. "
                         "U kunt uw antwoord niet meer wijzigen."),
            "other": _("Deze link hoort bij de uitnodiging van iemand anders. Gebruik de link uit uw eigen uitnodiging."),
            "removed": _("U staat niet (meer) op de lijst van genodigden voor deze terugkomdag."),
        }[self.reason]

    @property
    def status(self) -> int:
        return {"invalid": 400, "expired": 410, "other": 403, "removed": 410}[self.reason]


def rsvp_token(invitation: Invitation) -> str:
    """The invitation's id and a keyed fingerprint of its address: no readable address in the
    link (links mailed before carried it as "e" and keep working until they expire)."""
    return links.sign(RSVP_SALT, {"i": invitation.id, "f": links.fingerprint(RSVP_SALT, invitation.email)})


def _rsvp_address_matches(invitation: Invitation, data: dict) -> bool:
    if "f" in data:
        return hmac.compare_digest(str(data["f"]), links.fingerprint(RSVP_SALT, invitation.email))
    return invitation.email == data.get("e")  # a link in the old format


def invitation_for_rsvp(invitation_id: int, token: str, *, now: datetime) -> Invitation:
    """The invitation this link answers for, or RsvpRefused: tampered, for someone else,
    expired (the day has begun), or no longer on the list."""
    try:
        data = links.unsign(RSVP_SALT, token, max_age=RSVP_MAX_AGE)
    except links.LinkError as error:
        raise RsvpRefused(error.reason) from error
    if data.get("i") != invitation_id:
        raise RsvpRefused("other")
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or not _rsvp_address_matches(invitation, data):
        raise RsvpRefused("other")
    if invitation.removed_at is not None or invitation.return_day.status == ReturnDayStatus.CANCELLED:
        raise RsvpRefused("removed")
    if now >= invitation.return_day.starts_at:
        raise RsvpRefused("expired")
    return invitation


def record_response(invitation: Invitation, *, response: Response, remark: str, now: datetime) -> None:
    invitation.response = Response(response)
    invitation.remark = remark.strip()
    invitation.responded_at = now
    db.session.flush()


# --- Agreements and the pack --------------------------------------------------------------

def add_action(return_day: ReturnDay, *, description: str, owner: User | None, owner_name: str,
               due_on: date | None, team: Team | None, by, now: datetime) -> ReturnDayAction:
    action = ReturnDayAction(description=description.strip(), owner=owner, owner_name=owner_name.strip(),
                             due_on=due_on, team=team if team is not None else return_day.team, created_by_id=by.id,
                             created_at=now)
    return_day.actions.append(action)
    db.session.flush()
    return action


def set_action_done(action: ReturnDayAction, done: bool, *, by, now: datetime) -> None:
    action.done_at = now if done else None
    db.session.flush()


@dataclass
class TeamPack:
    """What one team brings to a return day: its board in a few lines and the open agreements."""

    team: Team
    challenge: Challenge | None
    day: int | None
    board_status: list = field(default_factory=list)
    indicators: list = field(default_factory=list)
    progress_updates: list = field(default_factory=list)
    help_asked: list = field(default_factory=list)
    earlier_actions: list[ReturnDayAction] = field(default_factory=list)


@dataclass
class Pack:
    return_day: ReturnDay
    teams: list[TeamPack]
    actions: list[ReturnDayAction]


def _board_facts(challenge: Challenge | None, *, updates_shown: int = 3) -> dict[str, list[str]]:
    """The board's state in a few lines for the pack: cards per column, indicators against their
    target, the latest progress updates and the help the team asked of its managers."""
    if challenge is None:
        return {"board_status": [], "indicators": [], "progress_updates": [], "help_asked": []}
    counts = {column: 0 for column in Column}
    for card in boards.load_cards_of(challenge.id):
        counts[card.column] += 1
    board_status = [ngettext("%(column)s: %(num)s kaart", "%(column)s: %(num)s kaarten", count, column=column.label)
                    for column, count in counts.items()] if any(counts.values()) else []
    indicators = []
    for indicator in challenge.indicators:
        latest = max(indicator.values, key=lambda value: value.measured_on, default=None)
        indicators.append(_("%(name)s: nu %(value)s, begin %(baseline)s, doel %(target)s %(unit)s",
                            name=indicator.name, value=latest.value if latest else "—",
                            baseline=indicator.baseline, target=indicator.target, unit=indicator.unit).strip())
    updates = tracking.progress_updates(challenge)[:updates_shown]
    progress = [_("%(date)s · %(status)s: %(text)s", date=format_date(local(update.created_at).date(), "medium"),
                  status=update.status_label, text=update.went_well or update.stuck or "—") for update in updates]
    help_asked = [_("%(date)s: %(help)s", date=format_date(local(update.created_at).date(), "medium"),
                    help=update.help_needed) for update in updates if update.help_needed]
    return {"board_status": board_status, "indicators": indicators, "progress_updates": progress,
            "help_asked": help_asked}


def gather_pack(return_day: ReturnDay, *, now: datetime) -> Pack:
    """All the data of a return-day pack in one place, so the board feature can extend it."""
    today = local(now).date()
    earlier_days = select(ReturnDay.id).where(
        ReturnDay.lab_id == return_day.lab_id, ReturnDay.starts_at < return_day.starts_at,
        ReturnDay.status == ReturnDayStatus.CONFIRMED)
    teams = []
    for team in teams_of(return_day):
        challenge = team.challenge
        earlier = db.session.scalars(
            select(ReturnDayAction).where(ReturnDayAction.return_day_id.in_(earlier_days),
                                          ReturnDayAction.done_at.is_(None),
                                          (ReturnDayAction.team_id == team.id) | ReturnDayAction.team_id.is_(None))
            .order_by(ReturnDayAction.due_on, ReturnDayAction.id)).all()
        teams.append(TeamPack(team=team, challenge=challenge, day=challenge.day_on(today) if challenge else None,
                              earlier_actions=earlier, **_board_facts(challenge)))
    return Pack(return_day=return_day, teams=teams, actions=list(return_day.actions))


def attendance_rows(return_day: ReturnDay) -> list[list[str]]:
    header = [_("Naam"), _("E-mailadres"), _("Rol"), _("Organisatie"), _("Antwoord"), _("Opmerking"),
              _("Beantwoord op")]
    rows = [header]
    for invitation in return_day.active_invitations:
        organisation = invitation.user.organisation if invitation.user else None
        rows.append([
            invitation.display_name, invitation.email, invitation.role_label,
            organisation.name if organisation else "", invitation.response_label, invitation.remark,
            local(invitation.responded_at).strftime("%Y-%m-%d %H:%M") if invitation.responded_at else "",
        ])
    return rows


def next_return_day_for_problem(problem, today: date, viewer: User):
    """The next confirmed terugkomdag of a team working on this vraagstuk (or the Lab's shared
    one), for the vraagstuk page (connected to `problems.hooks.next_return_day_wanted`). The first
    one `viewer` may open (a deelnemer: their own team's day, not another team's); when they may
    open none, the next one without a link, since the page would answer 404."""
    from flask import url_for

    if problem.lab is None:
        return None
    team_ids = [team.id for team in problem.lab.teams if team.problem_id == problem.id]
    if not team_ids:
        return None
    start_of_today = datetime.combine(today, time.min, tzinfo=LOCAL_ZONE)
    upcoming = db.session.scalars(
        select(ReturnDay)
        .where(ReturnDay.status == ReturnDayStatus.CONFIRMED, ReturnDay.starts_at >= start_of_today,
               or_(ReturnDay.team_id.in_(team_ids),
                   and_(ReturnDay.team_id.is_(None), ReturnDay.lab_id == problem.lab_id)))
        .order_by(ReturnDay.starts_at).limit(len(team_ids) + 1)
    ).all()
    if not upcoming:
        return None
    openable = [day for day in upcoming if can(viewer, "returnday.view", day)]
    return_day = openable[0] if openable else upcoming[0]
    label = _("Terugkomdag dag %(day)s", day=return_day.day_number)
    if return_day.team is not None:
        label = f"{label} · {return_day.team.name}"
    return NextReturnDay(starts_at=return_day.starts_at, label=label, place=return_day.place or return_day.online_link,
                         url=url_for("returndays.detail", return_day_id=return_day.id) if openable else None)
