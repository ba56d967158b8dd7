"""Erasure of one person (AVG art. 17), on request or by the retention purge: one path for both.

What goes: name, e-mail address, login, two-factor, recovery codes, calendar feeds, profile text,
messages to them, and every place where a *living* participant is listed or can be picked: team
memberships, team-formation placements and pair rules, return-day and speedlab invitations (and so
waiting lists and RSVP lists), evaluation requests, roles (pickers by role), the accounts list.

What stays, under a pseudonym: what the team's history needs (board cards and events, progress
updates, result texts, return-day actions, signals, audit events) and the aggregates. The person's
Lab participations stay as rows, so a programme's historic participant count (Hub report, the Lab
report's sectors) still counts them; lists of current participants leave out people with
`User.erased_at` set. A named evaluation answer becomes an anonymous one: the grades still count.

The pseudonym is "Oud-deelnemer" and a random four-character token chosen at erasure and stored as
the name: it cannot be derived from the id (or from anything else), it stays the same on every page
(so a board still shows that two cards came from one person), and two erased people in one team stay
apart. A per-Lab ordinal would need one pseudonym per Lab for a person in two Labs and would change
when a second person in the same Lab is erased. The address becomes a random one at the reserved
.invalid domain, because the column is unique and not null; it is never shown.
"""

import json
import secrets
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import String, cast, delete, or_, select, update

from fieldlab.audit import services as audit
from fieldlab.audit.models import AuditEvent
from fieldlab.auth.models import RecoveryCode, User
from fieldlab.boards import services as boards
from fieldlab.evaluations.models import EvaluationRequest, EvaluationResponse
from fieldlab.extensions import db
from fieldlab.labs.models import LabFacilitator, ParticipantProfile, Participation
from fieldlab.mail.models import OutboxMessage
from fieldlab.outcomes.models import SustainabilityAnswer, TeamResult
from fieldlab.privacy.models import RetentionPostponement
from fieldlab.returndays.models import CalendarFeed, Invitation, ReturnDayAction
from fieldlab.signals.models import Signal, SignalEvent
from fieldlab.speedlabs import invitations as speedlab_invitations
from fieldlab.speedlabs.models import SEAT_HOLDING, Idea, InvitationRole, SpeedlabInvitation, SpeedlabSession
from fieldlab.teams.models import DraftPlacement, Membership, PairRule
from fieldlab.timeutil import utcnow

ANONYMOUS_DOMAIN = "geanonimiseerd.invalid"
PSEUDONYM_PREFIX = "Oud-deelnemer"
# No 0/O, 1/I/L: a token read aloud or copied by hand stays the same token.
TOKEN_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
TOKEN_LENGTH = 4


class ErasureRefused(Exception):
    pass


def is_anonymised(user: User) -> bool:
    return user.erased_at is not None or user.email.endswith("@" + ANONYMOUS_DOMAIN)


def new_pseudonym() -> str:
    """"Oud-deelnemer" and a random token no other person carries."""
    while True:
        name = f"{PSEUDONYM_PREFIX} {''.join(secrets.choice(TOKEN_ALPHABET) for _ in range(TOKEN_LENGTH))}"
        if db.session.scalar(select(User.id).where(User.name == name)) is None:
            return name


def _replace_in(value, old: list[str], new: str):
    """`value` (audit detail: dicts, lists, strings) with every old name or address replaced."""
    if isinstance(value, str):
        for text in old:
            value = value.replace(text, new)
        return value
    if isinstance(value, list):
        return [_replace_in(item, old, new) for item in value]
    if isinstance(value, dict):
        return {key: _replace_in(item, old, new) for key, item in value.items()}
    return value


def _scrub_audit_details(old: list[str], new: str) -> None:
    """Audit events keep what happened and who did it (the pseudonym); a name or address copied
    into an event's detail (an invitation, a role change of this person) is replaced. The events
    are found by their JSON text, in which a name may stand with its accents escaped: both spellings
    are looked for."""
    spellings = {spelling for text in old for spelling in (text, json.dumps(text)[1:-1])}
    text = cast(AuditEvent.detail, String)
    candidates = select(AuditEvent).where(or_(*(text.contains(spelling, autoescape=True) for spelling in spellings)))
    for event in db.session.scalars(candidates):
        detail = _replace_in(event.detail, old, new)
        if detail != event.detail:
            event.detail = detail


def _speedlabs_with_a_seat_freed(user: User, address: str, now: datetime) -> list[int]:
    """Speedlabs still to come where the person held a seat: their waiting list moves up."""
    return list(db.session.scalars(
        select(SpeedlabInvitation.session_id).join(SpeedlabSession, SpeedlabSession.id == SpeedlabInvitation.session_id)
        .where(or_(SpeedlabInvitation.user_id == user.id, SpeedlabInvitation.email == address),
               SpeedlabInvitation.status.in_([status.value for status in SEAT_HOLDING]),
               SpeedlabInvitation.role != InvitationRole.OWNER.value,
               SpeedlabSession.starts_at > now, SpeedlabSession.cancelled_at.is_(None))))


def _remove_from_living_lists(user: User, address: str, now: datetime) -> None:
    """Every row by which the person is listed, counted or offered as a living participant."""
    freed = _speedlabs_with_a_seat_freed(user, address, now)
    db.session.execute(delete(Membership).where(Membership.user_id == user.id))
    db.session.execute(delete(DraftPlacement).where(DraftPlacement.user_id == user.id))
    db.session.execute(delete(PairRule).where(or_(PairRule.first_user_id == user.id,
                                                  PairRule.second_user_id == user.id)))
    db.session.execute(delete(LabFacilitator).where(LabFacilitator.user_id == user.id))
    db.session.execute(delete(EvaluationRequest).where(EvaluationRequest.user_id == user.id))
    db.session.execute(delete(Invitation).where(or_(Invitation.user_id == user.id, Invitation.email == address)))
    # An idea stays on the speedlab's wall as one the room wrote down, not as the person's.
    invitations = select(SpeedlabInvitation.id).where(or_(SpeedlabInvitation.user_id == user.id,
                                                          SpeedlabInvitation.email == address))
    db.session.execute(update(Idea).where(Idea.author_id.in_(invitations)).values(author_id=None)
                       .execution_options(synchronize_session=False))
    db.session.execute(delete(SpeedlabInvitation).where(SpeedlabInvitation.id.in_(invitations))
                       .execution_options(synchronize_session=False))
    for session_id in freed:
        speedlab_invitations.promote_waiting(db.session.get(SpeedlabSession, session_id), now=now)
    # The Lab participation row stays for the historic count, without the manager who followed them;
    # as a manager the person no longer follows anyone.
    db.session.execute(update(Participation).where(or_(Participation.user_id == user.id,
                                                       Participation.manager_id == user.id))
                       .where(Participation.manager_id.is_not(None))
                       .values(manager_id=None).execution_options(synchronize_session=False))
    db.session.execute(delete(RetentionPostponement).where(RetentionPostponement.user_id == user.id))


def _rename_copies(user: User, old_name: str, address: str, pseudonym: str) -> None:
    """Names and addresses copied onto rows that stay (owners, representatives, actors)."""
    db.session.execute(update(ReturnDayAction).where(ReturnDayAction.owner_id == user.id).values(owner_name="")
                       .execution_options(synchronize_session=False))
    db.session.execute(update(TeamResult).where(TeamResult.owner_email == address)
                       .values(owner_name=pseudonym, owner_email="").execution_options(synchronize_session=False))
    db.session.execute(update(SustainabilityAnswer).where(SustainabilityAnswer.asked_email == address)
                       .values(asked_email="").execution_options(synchronize_session=False))
    db.session.execute(update(Signal).where(or_(Signal.representative_user_id == user.id,
                                                Signal.representative_email == address))
                       .values(representative_name=pseudonym, representative_email="")
                       .execution_options(synchronize_session=False))
    db.session.execute(update(SignalEvent).where(SignalEvent.by_id == user.id).values(by_name=pseudonym)
                       .execution_options(synchronize_session=False))
    db.session.execute(update(SpeedlabSession).where(or_(SpeedlabSession.owner_user_id == user.id,
                                                         SpeedlabSession.owner_email == address))
                       .values(owner_name=pseudonym, owner_email="").execution_options(synchronize_session=False))
    _scrub_audit_details([text for text in (old_name, address) if text], pseudonym)


def anonymise(user: User, *, now: datetime | None = None) -> str:
    """Keep the row (and what points at it), lose the person. Returns the pseudonym."""
    now = now or utcnow()
    address, old_name = user.email, user.name
    pseudonym = new_pseudonym()
    # Boards are found through the memberships, so they are told before those go.
    boards.people_renamed({user.id: (old_name, pseudonym)})
    _remove_from_living_lists(user, address, now)
    _rename_copies(user, old_name, address, pseudonym)
    user.name = pseudonym
    user.email = f"gewist-{secrets.token_hex(12)}@{ANONYMOUS_DOMAIN}"
    user.erased_at = now
    user.password_hash = None
    user.active = False
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    user.set_roles([])
    user.end_all_sessions()
    user.password_version += 1
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.execute(delete(CalendarFeed).where(CalendarFeed.user_id == user.id))
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
    db.session.expire_all()
    return pseudonym


def erase_person(user: User, *, by: User, reason: str = "", now: datetime | None = None) -> str:
    """Erasure on request (AVG art. 17): anonymise now, whatever the retention period. `reason` goes
    into the audit log with the person's name and address replaced by the pseudonym. Returns the
    pseudonym. The caller commits (after a confirmation step, if it has one)."""
    now = now or utcnow()
    if user.id == by.id:
        raise ErasureRefused(_("U kunt uzelf niet wissen. Vraag een andere facilitator."))
    if is_anonymised(user):
        raise ErasureRefused(_("Deze persoon is al gewist."))
    old = [text for text in (user.name, user.email) if text]
    pseudonym = anonymise(user, now=now)
    audit.record("person_erased", actor=by, subject_user=user, now=now,
                 reason=_replace_in(reason.strip(), old, pseudonym) or None)
    return pseudonym
