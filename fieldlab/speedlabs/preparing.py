"""Preparing a speedlab: creating it (the problem owner's invitation goes out at once), changing
its details and cancelling it; what a facilitator does before the first round starts.

It stands alone because these are the actions that change what the invitees have in their
calendars: a new date, time, place or online link raises the SEQUENCE and tells everyone invited
who has not said no (an updated .ics for seat holders, a note for the waiting list), and a
cancellation sends the .ics CANCEL. Once the first round has started none of it is allowed
(`ensure_changeable`, `ensure_cancellable`).
"""

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from fieldlab.audit.services import record
from fieldlab.auth.models import User, normalise_email
from fieldlab.extensions import db
from fieldlab.formats import TimeSpan
from fieldlab.labs.models import Lab
from fieldlab.problems.models import Problem
from fieldlab.speedlabs.invitations import queue_calendar_notice, queue_invitation
from fieldlab.speedlabs.models import InvitationRole, InvitationStatus, Phase, SpeedlabInvitation, SpeedlabSession
from fieldlab.speedlabs.services import SpeedlabError, ensure_not_cancelled, lock_session

# --- Creating --------------------------------------------------------------------------------

def create_session(*, title: str, question: str, context: str, starts_at: datetime, ends_at: datetime,
                   place: str, online_url: str, seats: int, dots_per_participant: int, by: User,
                   now: datetime, problem: Problem | None = None, lab: Lab | None = None,
                   owner_user: User | None = None, owner_name: str = "", owner_email: str = "",
                   owner_organisation=None) -> SpeedlabSession:
    """A speedlab from a vraagstuk (its opdrachtgever is the problem owner) or from a standalone
    question of a problem owner with or without an account."""
    if problem is not None:
        owner_user = problem.commissioner
        owner_organisation = problem.organisation
    if owner_user is not None:
        owner_name, owner_email = owner_user.name, owner_user.email
        owner_organisation = owner_organisation or owner_user.organisation
    speedlab = SpeedlabSession(
        title=title.strip(), question=question.strip(), context=(context or "").strip(), problem=problem, lab=lab,
        facilitator=by, owner_user=owner_user, owner_name=owner_name.strip(),
        owner_email=normalise_email(owner_email), owner_organisation=owner_organisation,
        starts_at=starts_at, ends_at=ends_at, place=place.strip(), online_url=(online_url or "").strip(),
        seats=seats, dots_per_participant=dots_per_participant, created_at=now,
    )
    db.session.add(speedlab)
    db.session.flush()
    if speedlab.owner_email:
        owner = SpeedlabInvitation(
            session=speedlab, user=owner_user, name=speedlab.owner_name or speedlab.owner_email,
            email=speedlab.owner_email, organisation=owner_organisation, role=InvitationRole.OWNER,
            status=InvitationStatus.INVITED, invited_at=now, created_at=now,
        )
        db.session.add(owner)
        db.session.flush()
        queue_invitation(owner, now=now)
    record("speedlab_created", actor=by, obj=speedlab, now=now)
    return speedlab


# --- Changing and cancelling -------------------------------------------------------------------

@dataclass(frozen=True)
class SpeedlabDetails:
    """What a facilitator can change after creating a speedlab. Seats and dots stay: seats decide
    the waiting list and dots are part of the votes' constraints."""

    title: str
    question: str
    context: str
    starts_at: datetime
    ends_at: datetime
    place: str
    online_url: str


def details_of(speedlab: SpeedlabSession) -> SpeedlabDetails:
    return SpeedlabDetails(title=speedlab.title, question=speedlab.question, context=speedlab.context,
                           starts_at=speedlab.starts_at, ends_at=speedlab.ends_at, place=speedlab.place,
                           online_url=speedlab.online_url)


@dataclass(frozen=True)
class Change:
    """One practical change as the invitees read it: `what` is when, place or online."""

    what: str
    before: str | TimeSpan
    after: str | TimeSpan


@dataclass
class ChangeResult:
    fields: list[str]  # the attributes that changed
    changes: list[Change]  # the ones the invitees hear of
    notified: int = 0


def _practical_changes(speedlab: SpeedlabSession, details: SpeedlabDetails) -> list[Change]:
    changes = []
    if (details.starts_at, details.ends_at) != (speedlab.starts_at, speedlab.ends_at):
        changes.append(Change("when", TimeSpan(speedlab.starts_at, speedlab.ends_at),
                              TimeSpan(details.starts_at, details.ends_at)))
    if details.place != speedlab.place:
        changes.append(Change("place", speedlab.place, details.place))
    if details.online_url != speedlab.online_url:
        changes.append(Change("online", speedlab.online_url, details.online_url))
    return changes


def ensure_changeable(speedlab: SpeedlabSession) -> None:
    ensure_not_cancelled(speedlab)
    if speedlab.phase_enum != Phase.PREPARING:
        raise SpeedlabError(_("Dit speedlab is al begonnen: wijzigen kan niet meer."))


def ensure_cancellable(speedlab: SpeedlabSession) -> None:
    ensure_not_cancelled(speedlab)
    if speedlab.phase_enum != Phase.PREPARING:
        raise SpeedlabError(_("Dit speedlab is al begonnen: annuleren kan niet meer."))


def people_to_tell(speedlab: SpeedlabSession) -> list[SpeedlabInvitation]:
    """Everyone invited who has not said no: seats (the problem owner included) and the waiting list."""
    return list(db.session.scalars(
        select(SpeedlabInvitation).where(SpeedlabInvitation.session_id == speedlab.id,
                                         SpeedlabInvitation.status != InvitationStatus.DECLINED)
        .order_by(SpeedlabInvitation.id).execution_options(populate_existing=True)
    ).all())


def change_session(speedlab: SpeedlabSession, details: SpeedlabDetails, *, by: User,
                   now: datetime) -> ChangeResult:
    """Change a speedlab that has not started. A new date, time, place or online link raises the
    SEQUENCE and tells everyone invited who has not said no, with from → to for each change:

    - seat holders (uitgenodigd, komt; the problem owner too) get the updated invitation with an
      .ics REQUEST of the same UID and the new SEQUENCE, so their calendar moves the appointment;
    - people on the waiting list get a short note without .ics. They were told date and place in
      their waiting-list mail and may now want to step off the list (or stay), so they must hear
      of it; but they have no appointment in their calendar, and an .ics would put one there for a
      seat they do not have. When a seat frees up, their invitation carries the new details.

    Who said no hears nothing. A change of only title, question or context mails nobody (the
    invitation names the title, but a retitled session is not worth a message to everyone)."""
    lock_session(speedlab)
    ensure_changeable(speedlab)
    details = SpeedlabDetails(
        title=details.title.strip(), question=details.question.strip(), context=(details.context or "").strip(),
        starts_at=details.starts_at, ends_at=details.ends_at, place=(details.place or "").strip(),
        online_url=(details.online_url or "").strip())
    if details.ends_at <= details.starts_at:
        raise SpeedlabError(_("De eindtijd moet na de begintijd liggen."))
    before = details_of(speedlab)
    fields = [name for name in vars(details) if getattr(details, name) != getattr(before, name)]
    result = ChangeResult(fields=fields, changes=_practical_changes(speedlab, details))
    if not fields:
        return result
    for name in fields:
        setattr(speedlab, name, getattr(details, name))
    if result.changes:
        speedlab.sequence += 1
    db.session.flush()
    if result.changes:
        for invitation in people_to_tell(speedlab):
            queue_calendar_notice(invitation, kind="update", method="REQUEST", now=now, changes=result.changes)
            result.notified += 1
    record("speedlab_changed", actor=by, obj=speedlab, now=now, fields=fields, sequence=speedlab.sequence,
           notified=result.notified)
    return result


def cancel_session(speedlab: SpeedlabSession, *, reason: str, by: User, now: datetime) -> int:
    """Cancel a speedlab that has not started, with the reason the invitees read. Everyone invited
    who has not said no hears of it: seat holders with an .ics CANCEL (same UID, raised SEQUENCE,
    STATUS:CANCELLED) that takes it out of their calendar, the waiting list without .ics (see
    change_session). Invitations keep their status, for the record. Returns how many were told."""
    lock_session(speedlab)
    ensure_cancellable(speedlab)
    reason = (reason or "").strip()[:500]
    if not reason:
        raise SpeedlabError(_("Vul de reden van de annulering in."))
    speedlab.cancelled_at = now
    speedlab.cancellation_reason = reason
    speedlab.sequence += 1
    db.session.flush()
    people = people_to_tell(speedlab)
    for invitation in people:
        queue_calendar_notice(invitation, kind="cancel", method="CANCEL", now=now)
    record("speedlab_cancelled", actor=by, obj=speedlab, now=now, sequence=speedlab.sequence, notified=len(people))
    return len(people)
