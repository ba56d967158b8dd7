"""Who comes to a speedlab: alumni and guests invited onto the seats, the waiting list beyond them,
their answers (yes keeps a seat, no passes it to the first in line), the signed links they use,
and every message an invitee receives.

It stands alone because the seats are what people compete for: every change to them takes the
session lock (`services.lock_session`) and recounts, so two answers at once never give one seat
twice. The messages live here too, since the invitation is what the other parts (preparing a
session, changing or cancelling it) send.

Mail only goes into the outbox, each message with an idempotency key that names the speedlab,
the kind, the invitation and what makes it a new message (the SEQUENCE for invitations, updates
and cancellations, the waiting position for a waiting-list note), so a retry never sends twice
and a second change sends a second update.
"""

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select

from fieldlab.audit.services import record
from fieldlab.auth.models import User, normalise_email
from fieldlab.extensions import db
from fieldlab.mail.services import external_url, queue_message
from fieldlab.speedlabs import calendar, links
from fieldlab.speedlabs.models import (
    SEAT_HOLDING,
    InvitationRole,
    InvitationStatus,
    SpeedlabInvitation,
    SpeedlabSession,
)
from fieldlab.speedlabs.services import SpeedlabError, ensure_not_cancelled, lock_session
from fieldlab.timeutil import local

# --- Seats and the waiting list ------------------------------------------------------------

def seats_taken(speedlab: SpeedlabSession) -> int:
    return db.session.scalar(
        select(func.count()).select_from(SpeedlabInvitation).where(
            SpeedlabInvitation.session_id == speedlab.id,
            SpeedlabInvitation.status.in_(SEAT_HOLDING),
            SpeedlabInvitation.role != InvitationRole.OWNER,
        )
    )


def _put_on_waiting_list(invitation: SpeedlabInvitation, *, now: datetime) -> None:
    """Last on the session's waiting list, and told so."""
    invitation.status = InvitationStatus.WAITING
    invitation.waiting_position = _next_waiting_position(invitation.session)
    db.session.flush()
    _queue_waiting_notice(invitation, now=now)


def _next_waiting_position(speedlab: SpeedlabSession) -> int:
    highest = db.session.scalar(
        select(func.max(SpeedlabInvitation.waiting_position)).where(SpeedlabInvitation.session_id == speedlab.id))
    return (highest or 0) + 1


def _add_invitation(speedlab, *, name, email, user=None, organisation=None, role, reason="", now):
    email = normalise_email(email)
    if any(invitation.email == email for invitation in speedlab.invitations):
        return None
    seat_free = seats_taken(speedlab) < speedlab.seats  # before the new row exists (autoflush)
    invitation = SpeedlabInvitation(
        session=speedlab, user=user, name=name, email=email, organisation=organisation, role=role,
        reason=reason[:500], created_at=now,
    )
    db.session.add(invitation)
    if seat_free:
        invitation.status = InvitationStatus.INVITED
        invitation.invited_at = now
        db.session.flush()
        queue_invitation(invitation, now=now)
    else:
        _put_on_waiting_list(invitation, now=now)
    return invitation


def invite_alumni(speedlab: SpeedlabSession, users: list[User], *, reasons: dict[int, str], by: User,
                  now: datetime) -> list[SpeedlabInvitation]:
    """Invite the picked alumni in the order given: seats first, then the waiting list."""
    lock_session(speedlab)
    ensure_not_cancelled(speedlab)
    added = []
    for user in users:
        invitation = _add_invitation(speedlab, name=user.name, email=user.email, user=user,
                                     organisation=user.organisation, role=InvitationRole.ALUMNUS,
                                     reason=reasons.get(user.id, ""), now=now)
        if invitation is not None:
            added.append(invitation)
    record("speedlab_invited", actor=by, obj=speedlab, now=now, count=len(added))
    return added


def invite_guest(speedlab: SpeedlabSession, *, name: str, email: str, organisation=None, by: User,
                 now: datetime) -> SpeedlabInvitation:
    lock_session(speedlab)
    ensure_not_cancelled(speedlab)
    user = User.by_email(email)
    invitation = _add_invitation(speedlab, name=name.strip(), email=email, user=user,
                                 organisation=organisation or (user.organisation if user else None),
                                 role=InvitationRole.GUEST, now=now)
    if invitation is None:
        raise SpeedlabError(_("Dit e-mailadres is al uitgenodigd."))
    return invitation


def respond(invitation: SpeedlabInvitation, *, accept: bool, now: datetime) -> SpeedlabInvitation:
    """Yes keeps the seat (or joins the waiting list when the seat was given away); no frees the
    seat, which goes to the first on the waiting list.

    Who said no heard nothing of later changes; saying yes again queues the invitation of the
    current SEQUENCE (nothing new when they had that one already), so their calendar is right."""
    speedlab = invitation.session
    lock_session(speedlab)
    ensure_not_cancelled(speedlab)
    db.session.refresh(invitation)
    status = InvitationStatus(invitation.status)
    invitation.responded_at = now
    if accept:
        if status in SEAT_HOLDING:
            invitation.status = InvitationStatus.ACCEPTED
        elif status == InvitationStatus.DECLINED:
            if invitation.role == InvitationRole.OWNER or seats_taken(speedlab) < speedlab.seats:
                invitation.status = InvitationStatus.ACCEPTED
                db.session.flush()
                queue_invitation(invitation, now=now)
            else:
                _put_on_waiting_list(invitation, now=now)
        db.session.flush()
        return invitation
    invitation.status = InvitationStatus.DECLINED
    invitation.waiting_position = None
    db.session.flush()
    promote_waiting(speedlab, now=now)
    return invitation


def promote_waiting(speedlab: SpeedlabSession, *, now: datetime) -> list[SpeedlabInvitation]:
    """Give free seats to the waiting list, first come first served, and invite them. The key names
    the waiting position, so someone who waited twice is invited twice."""
    promoted = []
    free = speedlab.seats - seats_taken(speedlab)
    if free <= 0:
        return promoted
    waiting = db.session.scalars(
        select(SpeedlabInvitation).where(SpeedlabInvitation.session_id == speedlab.id,
                                         SpeedlabInvitation.status == InvitationStatus.WAITING)
        .order_by(SpeedlabInvitation.waiting_position, SpeedlabInvitation.id).limit(free)
    ).all()
    for invitation in waiting:
        position = invitation.waiting_position
        invitation.status = InvitationStatus.INVITED
        invitation.waiting_position = None
        invitation.invited_at = now
        db.session.flush()
        queue_invitation(invitation, now=now, key_suffix=f":promoted{position}")
        promoted.append(invitation)
    return promoted


def waiting_list(speedlab: SpeedlabSession) -> list[SpeedlabInvitation]:
    return sorted((i for i in speedlab.invitations if i.status == InvitationStatus.WAITING),
                  key=lambda i: (i.waiting_position or 0, i.id))


def waiting_rank(invitation: SpeedlabInvitation) -> int:
    """Place in line (1 is next), counted among those still waiting."""
    return db.session.scalar(
        select(func.count()).select_from(SpeedlabInvitation).where(
            SpeedlabInvitation.session_id == invitation.session_id,
            SpeedlabInvitation.status == InvitationStatus.WAITING,
            SpeedlabInvitation.waiting_position <= invitation.waiting_position,
        )
    )


# --- The invitation behind a link or a login ---------------------------------------------------

def invitation_for_link(token: str, purpose: str) -> SpeedlabInvitation:
    """The invitation a signed link is for; InvalidLink when it is forged, expired or gone."""
    invitation_id, session_id = links.read_link_token(token, purpose)
    invitation = db.session.get(SpeedlabInvitation, invitation_id)
    if invitation is None or invitation.session_id != session_id:
        raise links.InvalidLink("invalid")
    return invitation


def invitation_of_user(speedlab: SpeedlabSession, user) -> SpeedlabInvitation | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return next((i for i in speedlab.invitations if i.user_id == user.id), None)



# --- Messages ---------------------------------------------------------------------------------

def _locale_of(invitation: SpeedlabInvitation) -> str:
    return invitation.user.locale if invitation.user else "nl"


def _links(invitation: SpeedlabInvitation) -> dict[str, str]:
    return {"rsvp_link": external_url("speedlabs.rsvp", token=links.make_link_token(invitation, links.RSVP)),
            "join_link": external_url("speedlabs.join", token=links.make_link_token(invitation, links.JOIN))}


def _mail_context(invitation: SpeedlabInvitation) -> dict:
    speedlab = invitation.session
    return {"invitation": invitation, "speedlab": speedlab, "starts": local(speedlab.starts_at),
            "ends": local(speedlab.ends_at), **_links(invitation)}


def _calendar_attachment(invitation: SpeedlabInvitation, *, method: str, now: datetime) -> dict:
    """The .ics of one invitee: the same UID for every message about this speedlab, the session's
    current SEQUENCE, REQUEST for an invitation or update and CANCEL (STATUS:CANCELLED) at the end."""
    speedlab = invitation.session
    join_link = _links(invitation)["join_link"]
    if method == "CANCEL":
        description, url = _("Geannuleerd: %(reason)s", reason=speedlab.cancellation_reason), ""
    else:
        description, url = _("Meedoen: %(link)s", link=join_link), join_link
    ics = calendar.build_invitation_ics(
        uid=calendar.invitation_uid(invitation), sequence=speedlab.sequence,
        summary=_("Speedlab: %(title)s", title=speedlab.title), starts_at=speedlab.starts_at,
        ends_at=speedlab.ends_at, location=speedlab.place or speedlab.online_url, description=description,
        attendee_name=invitation.name, attendee_email=invitation.email, url=url, now=now, method=method,
    )
    return {"filename": "speedlab.ics", "content_type": f"text/calendar; method={method}", "content": ics}


def queue_invitation(invitation: SpeedlabInvitation, *, now: datetime, key_suffix: str = "") -> None:
    speedlab = invitation.session
    queue_message(
        key=f"speedlab:{speedlab.id}:invitation{invitation.id}:seq{speedlab.sequence}{key_suffix}",
        to=invitation.email, template="speedlab_invitation", locale=_locale_of(invitation), now=now,
        attachments=[_calendar_attachment(invitation, method="REQUEST", now=now)], **_mail_context(invitation),
    )


def _queue_waiting_notice(invitation: SpeedlabInvitation, *, now: datetime) -> None:
    """Tell someone invited beyond the seats that they wait, at which place, and that an invitation
    follows when a seat frees up. No .ics: they have no seat to put in a calendar yet."""
    speedlab = invitation.session
    queue_message(
        key=f"speedlab:{speedlab.id}:waiting:invitation{invitation.id}:pos{invitation.waiting_position}",
        to=invitation.email, template="speedlab_waiting", locale=_locale_of(invitation), now=now,
        position=waiting_rank(invitation), **_mail_context(invitation),
    )


def queue_calendar_notice(invitation: SpeedlabInvitation, *, kind: str, method: str, now: datetime,
                          **context) -> None:
    """An update (`kind` "update", .ics REQUEST) or a cancellation ("cancel", .ics CANCEL) for one
    invitee, once per SEQUENCE. The waiting list gets it without .ics (see preparing.change_session)."""
    speedlab = invitation.session
    waiting = invitation.status == InvitationStatus.WAITING
    attachments = [] if waiting else [_calendar_attachment(invitation, method=method, now=now)]
    queue_message(
        key=f"speedlab:{speedlab.id}:{kind}:invitation{invitation.id}:seq{speedlab.sequence}",
        to=invitation.email, template={"update": "speedlab_changed", "cancel": "speedlab_cancelled"}[kind],
        locale=_locale_of(invitation), now=now, attachments=attachments, waiting=waiting,
        **context, **_mail_context(invitation),
    )
