"""The RSVP link of a return-day invitation: signed, with no readable address in it, used without
an account, and the answer it records.

It stands alone because it is the one way into return days without logging in, so its checks
(tampered, someone else's, expired, no longer on the list) are together in one short module; and
because both the invitation's calendar file (ics.py) and the messages (invitations.py) need the
link while the messages also need the calendar file: with the link here, no two modules import
each other.
"""

import hmac
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from fieldlab import links
from fieldlab.extensions import db
from fieldlab.mail.services import external_url
from fieldlab.returndays.models import Invitation, Response, ReturnDayStatus

RSVP_SALT = "fieldlab.rsvp"
RSVP_MAX_AGE = timedelta(days=400)


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
    reason = closed_reason(invitation, now=now)
    if reason is not None:
        raise RsvpRefused(reason)
    return invitation


def closed_reason(invitation: Invitation, *, now: datetime) -> str | None:
    """Why an invitation can no longer be answered ("removed": off the list or the day cancelled;
    "expired": the day has begun), or None. One rule for the mailed link and the return day's page."""
    if invitation.removed_at is not None or invitation.return_day.status == ReturnDayStatus.CANCELLED:
        return "removed"
    if now >= invitation.return_day.starts_at:
        return "expired"
    return None


def open_invitation_of(return_day, user, *, now: datetime) -> Invitation | None:
    """`user`'s own invitation to `return_day` while it can still be answered in the app: the
    link's rule (`closed_reason`), on a confirmed day (the link goes out only then), so a signed-in
    invitee answers on the return day's page without looking for the mail."""
    if user is None or return_day.status != ReturnDayStatus.CONFIRMED:
        return None
    invitation = db.session.scalar(select(Invitation).where(
        Invitation.return_day_id == return_day.id, Invitation.user_id == user.id, Invitation.removed_at.is_(None))
        .order_by(Invitation.id).limit(1))
    return invitation if invitation is not None and closed_reason(invitation, now=now) is None else None


def record_response(invitation: Invitation, *, response: Response, remark: str, now: datetime) -> None:
    invitation.response = Response(response)
    invitation.remark = remark.strip()
    invitation.responded_at = now
    db.session.flush()


def rsvp_link(invitation: Invitation) -> str:
    return external_url("returndays.rsvp", invitation_id=invitation.id, token=rsvp_token(invitation))
