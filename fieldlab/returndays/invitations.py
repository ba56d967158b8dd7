"""Who is invited to a return day, and every message they get: the invitation with its .ics (and
the update when the day changes), the cancellation, the reminder to answer, the practical note the
day before, and the nudge to bring the board up to date before day 50 and 100.

It stands alone as the one place that writes messages about a return day, so the rules for who
hears what (someone who said no gets no update; someone taken off the list gets only a
cancellation) read in one module. Messages only ever go into the outbox, each with an idempotency
key that names the return day, the recipient and the SEQUENCE (`invite:returnday42:user7:seq3`),
so re-running anything can never send the same message twice.
"""

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from fieldlab.audit import services as audit
from fieldlab.auth.models import User, normalise_email
from fieldlab.extensions import db
from fieldlab.mail.models import OutboxMessage
from fieldlab.mail.services import external_url, queue_message
from fieldlab.returndays import ics
from fieldlab.returndays.models import Invitation, InviteeRole, Response, ReturnDay, ReturnDayStatus
from fieldlab.returndays.rsvp import rsvp_link
from fieldlab.returndays.services import ReturnDayError, teams_of
from fieldlab.timeutil import local

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


def _send_to_answered(return_day: ReturnDay, *, answered: Response | None, kind: str, template: str,
                      now: datetime) -> int:
    """One message (`kind` in its key, `template`) to everyone invited whose answer is `answered`
    (None: not answered yet). The key makes a second run of the same day's job send nothing new."""
    sent = 0
    for invitation in return_day.active_invitations:
        if invitation.sent_sequence is not None and invitation.response == answered:
            queue_message(key=_key(kind, invitation), to=invitation.email, template=template,
                          locale=_locale_of(invitation), now=now, **_mail_context(invitation))
            sent += 1
    return sent


def send_reminders(return_day: ReturnDay, *, now: datetime) -> int:
    """To the invited who have not answered yet."""
    return _send_to_answered(return_day, answered=None, kind="reminder", template="returnday_reminder", now=now)


def send_practical_reminders(return_day: ReturnDay, *, now: datetime) -> int:
    """The day before: to those who said yes."""
    return _send_to_answered(return_day, answered=Response.YES, kind="practical", template="returnday_practical",
                             now=now)


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
    return list(db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.idempotency_key.like(f"%:returnday{return_day.id}:%"))
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
    ).all())
