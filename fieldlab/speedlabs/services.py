"""Speedlab workflows: prepare, invite (seats and waiting list), change or cancel, run the
rounds, sum up.

Services take `by=` and `now=`, flush but never commit. Everything several people do at once
(ideas, dots, seats) first takes the session row's write lock by raising its `revision`; the
database constraints on the models are the last word (see models.py).

Mail only goes into the outbox, each message with an idempotency key that names the speedlab,
the kind, the invitation and what makes it a new message (the SEQUENCE for invitations, updates
and cancellations, the waiting position for a waiting-list note), so a retry never sends twice
and a second change sends a second update.
"""

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import and_, delete, exists, func, literal, or_, select, update

from fieldlab import submissions
from fieldlab.audit.services import record
from fieldlab.auth.models import User, normalise_email
from fieldlab.auth.permissions import is_facilitator
from fieldlab.extensions import db
from fieldlab.labs import alumni as lab_alumni
from fieldlab.labs.models import Lab
from fieldlab.mail.services import external_url, queue_message
from fieldlab.paging import Page, paginate
from fieldlab.problems.models import Confidentiality, Problem, ProblemStatus
from fieldlab.speedlabs import calendar, links
from fieldlab.speedlabs.models import (
    SEAT_HOLDING,
    TIMED_PHASES,
    Cluster,
    Idea,
    InvitationRole,
    InvitationStatus,
    Phase,
    SpeedlabInvitation,
    SpeedlabSession,
    Vote,
    board_state,
)
from fieldlab.timeutil import local


class SpeedlabError(Exception):
    """A rule of the session refused the action; `message` is the Dutch text for the user."""

    status = 409

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class RoundClosed(SpeedlabError):
    pass


class TooManyDots(SpeedlabError):
    status = 422


class SpeedlabCancelled(SpeedlabError):
    """Nothing happens in a cancelled speedlab: no invitations, answers, rounds, ideas or dots."""


def ensure_not_cancelled(speedlab: SpeedlabSession) -> None:
    if speedlab.cancelled:
        raise SpeedlabCancelled(_("Dit speedlab is geannuleerd."))


# --- Preparing -------------------------------------------------------------------------------

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
        _queue_invitation(owner, now=now)
    record("speedlab_created", actor=by, obj=speedlab, now=now)
    return speedlab


def _lock(speedlab: SpeedlabSession) -> None:
    """Raise the revision (every board refreshes) and hold the row's write lock until commit, so
    seat counts, rounds and dots are read and changed by one writer at a time."""
    db.session.execute(
        update(SpeedlabSession).where(SpeedlabSession.id == speedlab.id)
        .values(revision=SpeedlabSession.revision + 1).execution_options(synchronize_session=False)
    )
    db.session.refresh(speedlab)


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
    before: str
    after: str


@dataclass
class ChangeResult:
    fields: list[str]  # the attributes that changed
    changes: list[Change]  # the ones the invitees hear of
    notified: int = 0


def _when(starts_at: datetime, ends_at: datetime) -> str:
    starts, ends = local(starts_at), local(ends_at)
    end_pattern = "%H:%M" if starts.date() == ends.date() else "%d-%m-%Y %H:%M"
    return f"{starts:%d-%m-%Y %H:%M}–{ends.strftime(end_pattern)}"


def _practical_changes(speedlab: SpeedlabSession, details: SpeedlabDetails) -> list[Change]:
    changes = []
    if (details.starts_at, details.ends_at) != (speedlab.starts_at, speedlab.ends_at):
        changes.append(Change("when", _when(speedlab.starts_at, speedlab.ends_at),
                              _when(details.starts_at, details.ends_at)))
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
    return db.session.scalars(
        select(SpeedlabInvitation).where(SpeedlabInvitation.session_id == speedlab.id,
                                         SpeedlabInvitation.status != InvitationStatus.DECLINED)
        .order_by(SpeedlabInvitation.id).execution_options(populate_existing=True)
    ).all()


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
    _lock(speedlab)
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
            _queue_calendar_notice(invitation, kind="update", method="REQUEST", now=now, changes=result.changes)
            result.notified += 1
    record("speedlab_changed", actor=by, obj=speedlab, now=now, fields=fields, sequence=speedlab.sequence,
           notified=result.notified)
    return result


def _queue_calendar_notice(invitation: SpeedlabInvitation, *, kind: str, method: str, now: datetime,
                           **context) -> None:
    """An update (`kind` "update", .ics REQUEST) or a cancellation ("cancel", .ics CANCEL) for one
    invitee, once per SEQUENCE. The waiting list gets it without .ics (see change_session)."""
    speedlab = invitation.session
    waiting = invitation.status == InvitationStatus.WAITING
    attachments = [] if waiting else [_calendar_attachment(invitation, method=method, now=now)]
    queue_message(
        key=f"speedlab:{speedlab.id}:{kind}:invitation{invitation.id}:seq{speedlab.sequence}",
        to=invitation.email, template={"update": "speedlab_changed", "cancel": "speedlab_cancelled"}[kind],
        locale=_locale_of(invitation), now=now, attachments=attachments, waiting=waiting,
        **context, **_mail_context(invitation),
    )


def cancel_session(speedlab: SpeedlabSession, *, reason: str, by: User, now: datetime) -> int:
    """Cancel a speedlab that has not started, with the reason the invitees read. Everyone invited
    who has not said no hears of it: seat holders with an .ics CANCEL (same UID, raised SEQUENCE,
    STATUS:CANCELLED) that takes it out of their calendar, the waiting list without .ics (see
    change_session). Invitations keep their status, for the record. Returns how many were told."""
    _lock(speedlab)
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
        _queue_calendar_notice(invitation, kind="cancel", method="CANCEL", now=now)
    record("speedlab_cancelled", actor=by, obj=speedlab, now=now, sequence=speedlab.sequence, notified=len(people))
    return len(people)


# --- Alumni ----------------------------------------------------------------------------------

@dataclass
class Alumnus:
    """A former participant: someone in a Lab whose programme ended before today."""

    user: User
    expertise: list[str]
    labs: list[tuple[str, str]]  # (theme, Lab name), most recent first

    @property
    def organisation(self):
        return self.user.organisation


@dataclass
class Suggestion:
    alumnus: Alumnus
    score: float
    reasons: list[str] = field(default_factory=list)
    rank_score: float = 0.0

    @property
    def user(self) -> User:
        return self.alumnus.user

    @property
    def reason(self) -> str:
        return ", ".join(self.reasons)


def alumni_candidates(*, today: date, exclude_user_ids=()) -> list[Alumnus]:
    """The alumni (`labs.alumni.alumni`: everyone in a Lab whose programme ended before today),
    as the ranking needs them: expertise tags and earlier Labs as (theme, name), most recent first."""
    excluded = set(exclude_user_ids)
    return [
        Alumnus(user=alumnus.user, expertise=[str(tag) for tag in alumnus.expertise],
                labs=[(lab.theme or "", lab.name) for lab in alumnus.labs])
        for alumnus in lab_alumni.alumni(today=today)
        if alumnus.user.id not in excluded
    ]


THEME_WEIGHT = 3.0
EXPERTISE_WEIGHT = 2.0
ORGANISATION_WEIGHT = 1.0
# Each earlier pick from the same organisation costs this much, so the top of the list mixes organisations.
SAME_ORGANISATION_PENALTY = 2.5
_WORD = re.compile(r"[0-9a-zà-ÿ]+")


def _phrase_matches(phrase: str, text: str, exact_terms: set[str]) -> bool:
    """A theme or expertise tag fits when it is one of the named terms, or when every word of it of
    four letters or more occurs in the question ("vastgoed" fits "vastgoedfraude")."""
    phrase = phrase.strip().lower()
    if not phrase:
        return False
    if phrase in exact_terms or phrase in text:
        return True
    words = [word for word in _WORD.findall(phrase) if len(word) >= 4]
    return bool(words) and all(word in text for word in words)


def rank_alumni(alumni: list[Alumnus], *, text: str, themes=(), expertise=(), organisation_ids=(),
                limit: int = 30) -> list[Suggestion]:
    """Rank by fit of earlier Lab themes, expertise and organisation, each with its reason; then
    pick greedily, penalising organisations already picked, so the top of the list stays mixed."""
    text = (text or "").lower()
    theme_terms = {term.strip().lower() for term in themes if term and term.strip()}
    expertise_terms = {term.strip().lower() for term in expertise if term and term.strip()}
    organisation_ids = {oid for oid in organisation_ids if oid}
    suggestions = []
    for alumnus in alumni:
        score, reasons, seen_themes = 0.0, [], set()
        for theme, lab_name in alumnus.labs:
            key = theme.strip().lower()
            if key and key not in seen_themes and _phrase_matches(theme, text, theme_terms):
                seen_themes.add(key)
                score += THEME_WEIGHT
                reasons.append(_("thema %(theme)s in %(lab)s", theme=theme, lab=lab_name))
        for tag in alumnus.expertise:
            if _phrase_matches(tag, text, expertise_terms):
                score += EXPERTISE_WEIGHT
                reasons.append(_("expertise %(tag)s", tag=tag))
        organisation = alumnus.organisation
        if organisation is not None and (
            organisation.id in organisation_ids
            or _phrase_matches(organisation.short_name or "", text, set())
            or _phrase_matches(organisation.kind or "", text, set())
        ):
            score += ORGANISATION_WEIGHT
            reasons.append(_("organisatie %(name)s", name=organisation.name))
        suggestions.append(Suggestion(alumnus=alumnus, score=score, reasons=reasons))
    return diversify(suggestions, limit=limit)


def _organisation_key(suggestion: Suggestion):
    organisation = suggestion.alumnus.organisation
    return organisation.id if organisation is not None else f"user-{suggestion.user.id}"


def diversify(suggestions: list[Suggestion], *, limit: int) -> list[Suggestion]:
    remaining = list(suggestions)
    picked: list[Suggestion] = []
    per_organisation: Counter = Counter()
    while remaining and len(picked) < limit:
        def adjusted(suggestion):
            return suggestion.score - SAME_ORGANISATION_PENALTY * per_organisation[_organisation_key(suggestion)]

        best = min(remaining, key=lambda s: (-adjusted(s), -s.score, s.user.name.lower(), s.user.id))
        best.rank_score = adjusted(best)
        picked.append(best)
        per_organisation[_organisation_key(best)] += 1
        remaining.remove(best)
    return picked


def suggest_alumni(speedlab: SpeedlabSession, *, today: date, limit: int = 30) -> list[Suggestion]:
    """Alumni not yet invited, ranked for this speedlab's question (and its vraagstuk, if any)."""
    invited = {invitation.user_id for invitation in speedlab.invitations if invitation.user_id}
    excluded = invited | {speedlab.facilitator_id} | ({speedlab.owner_user_id} if speedlab.owner_user_id else set())
    text = " ".join([speedlab.title, speedlab.question, speedlab.context])
    themes, expertise, organisation_ids = [], [], [speedlab.owner_organisation_id]
    if speedlab.problem is not None:
        text += " " + speedlab.problem.title
        themes.append(speedlab.problem.theme)
        expertise.extend(str(tag) for tag in speedlab.problem.expertise_needed or [])
        organisation_ids.append(speedlab.problem.organisation_id)
    if speedlab.lab is not None:
        themes.append(speedlab.lab.theme)
    return rank_alumni(alumni_candidates(today=today, exclude_user_ids=excluded), text=text, themes=themes,
                       expertise=expertise, organisation_ids=organisation_ids, limit=limit)


# --- Invitations, seats and the waiting list ------------------------------------------------

def seats_taken(speedlab: SpeedlabSession) -> int:
    return db.session.scalar(
        select(func.count()).select_from(SpeedlabInvitation).where(
            SpeedlabInvitation.session_id == speedlab.id,
            SpeedlabInvitation.status.in_(SEAT_HOLDING),
            SpeedlabInvitation.role != InvitationRole.OWNER,
        )
    )


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
        _queue_invitation(invitation, now=now)
    else:
        invitation.status = InvitationStatus.WAITING
        invitation.waiting_position = _next_waiting_position(speedlab)
        db.session.flush()
        _queue_waiting_notice(invitation, now=now)
    return invitation


def invite_alumni(speedlab: SpeedlabSession, users: list[User], *, reasons: dict[int, str], by: User,
                  now: datetime) -> list[SpeedlabInvitation]:
    """Invite the picked alumni in the order given: seats first, then the waiting list."""
    _lock(speedlab)
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
    _lock(speedlab)
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
    _lock(speedlab)
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
                _queue_invitation(invitation, now=now)
            else:
                invitation.status = InvitationStatus.WAITING
                invitation.waiting_position = _next_waiting_position(speedlab)
                db.session.flush()
                _queue_waiting_notice(invitation, now=now)
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
        _queue_invitation(invitation, now=now, key_suffix=f":promoted{position}")
        promoted.append(invitation)
    return promoted


def waiting_list(speedlab: SpeedlabSession) -> list[SpeedlabInvitation]:
    return sorted((i for i in speedlab.invitations if i.status == InvitationStatus.WAITING),
                  key=lambda i: (i.waiting_position or 0, i.id))


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


def _queue_invitation(invitation: SpeedlabInvitation, *, now: datetime, key_suffix: str = "") -> None:
    speedlab = invitation.session
    queue_message(
        key=f"speedlab:{speedlab.id}:invitation{invitation.id}:seq{speedlab.sequence}{key_suffix}",
        to=invitation.email, template="speedlab_invitation", locale=_locale_of(invitation), now=now,
        attachments=[_calendar_attachment(invitation, method="REQUEST", now=now)], **_mail_context(invitation),
    )


def waiting_rank(invitation: SpeedlabInvitation) -> int:
    """Place in line (1 is next), counted among those still waiting."""
    return db.session.scalar(
        select(func.count()).select_from(SpeedlabInvitation).where(
            SpeedlabInvitation.session_id == invitation.session_id,
            SpeedlabInvitation.status == InvitationStatus.WAITING,
            SpeedlabInvitation.waiting_position <= invitation.waiting_position,
        )
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


# --- Running the rounds ----------------------------------------------------------------------

def start_next_round(speedlab: SpeedlabSession, *, minutes: int | None, by: User, now: datetime) -> Phase:
    _lock(speedlab)
    ensure_not_cancelled(speedlab)
    following = speedlab.phase_enum.next
    if following is None:
        raise SpeedlabError(_("Alle rondes zijn geweest."))
    speedlab.phase = following
    if following in TIMED_PHASES:
        speedlab.round_open = True
        speedlab.round_ends_at = now + timedelta(minutes=minutes or 10)
    else:
        speedlab.round_open = False
        speedlab.round_ends_at = None
    db.session.flush()
    record("speedlab_round_started", actor=by, obj=speedlab, now=now, phase=str(following))
    return following


def stop_round(speedlab: SpeedlabSession, *, by: User, now: datetime) -> None:
    _lock(speedlab)
    ensure_not_cancelled(speedlab)
    if not speedlab.round_open:
        raise SpeedlabError(_("Er loopt geen ronde."))
    speedlab.round_open = False
    if speedlab.round_ends_at is None or speedlab.round_ends_at > now:
        speedlab.round_ends_at = now
    db.session.flush()


def add_idea(speedlab: SpeedlabSession, *, author: SpeedlabInvitation | None, title: str, explanation: str,
             now: datetime, submission: str | None = None) -> Idea:
    """Store an idea once per form render (`submission`, see fieldlab.submissions): a double
    submit returns the idea the first one stored, even when the round closed in between."""
    _lock(speedlab)
    ensure_not_cancelled(speedlab)
    earlier = submissions.claim(submission, "speedlab_idea", now=now)
    if earlier is not None:
        stored = db.session.get(Idea, earlier.result_id) if earlier.result_id else None
        if stored is not None and stored.session_id == speedlab.id:
            return stored
    if speedlab.phase_enum != Phase.IDEAS or not speedlab.accepting(now):
        raise RoundClosed(_("De ideeënronde is gesloten: er kunnen geen ideeën meer bij."))
    idea = Idea(session_id=speedlab.id, author_id=author.id if author else None, title=title.strip(),
                explanation=(explanation or "").strip(), created_at=now)
    db.session.add(idea)
    db.session.flush()
    submissions.record_result(submission, "speedlab_idea", idea.id)
    db.session.expire(speedlab, ["ideas"])
    return idea


def add_cluster(speedlab: SpeedlabSession, *, heading: str, by: User, now: datetime) -> Cluster:
    _lock(speedlab)
    ensure_not_cancelled(speedlab)
    if speedlab.phase_enum != Phase.CLUSTERING:
        raise RoundClosed(_("Clusteren kan alleen in de clusterronde."))
    position = len(speedlab.clusters)
    cluster = Cluster(session_id=speedlab.id, heading=heading.strip(), position=position)
    db.session.add(cluster)
    db.session.flush()
    db.session.expire(speedlab, ["clusters"])
    return cluster


def move_idea(speedlab: SpeedlabSession, idea: Idea, *, cluster: Cluster | None, position: int | None,
              by: User, now: datetime) -> None:
    """Put an idea under a heading (None: back to 'not yet clustered') at a position."""
    _lock(speedlab)
    ensure_not_cancelled(speedlab)
    if speedlab.phase_enum != Phase.CLUSTERING:
        raise RoundClosed(_("Clusteren kan alleen in de clusterronde."))
    target_id = cluster.id if cluster else None
    siblings = [i for i in speedlab.ideas if i.cluster_id == target_id and i.id != idea.id]
    siblings.sort(key=lambda i: (i.position, i.id))
    index = len(siblings) if position is None else max(0, min(position, len(siblings)))
    siblings.insert(index, idea)
    idea.cluster_id = target_id
    for number, sibling in enumerate(siblings):
        sibling.position = number
    db.session.flush()


def set_dots(speedlab: SpeedlabSession, voter: SpeedlabInvitation, allocation: dict[int, int], *,
             now: datetime) -> None:
    """Replace this participant's dots. Only while the voting round is open, never more than N;
    each dot is a row whose slot the database keeps within 1..N and unique per participant."""
    _lock(speedlab)
    ensure_not_cancelled(speedlab)
    if speedlab.phase_enum != Phase.VOTING or not speedlab.accepting(now):
        raise RoundClosed(_("Stemmen kan alleen zolang de stemronde open is."))
    allocation = {int(idea_id): int(count) for idea_id, count in allocation.items() if int(count) != 0}
    if any(count < 0 for count in allocation.values()):
        raise TooManyDots(_("Een aantal stippen kan niet negatief zijn."))
    if sum(allocation.values()) > speedlab.dots_per_participant:
        raise TooManyDots(ngettext("U heeft %(num)s stip; u verdeelde er %(total)s.",
                                    "U heeft %(num)s stippen; u verdeelde er %(total)s.",
                                    speedlab.dots_per_participant, total=sum(allocation.values())))
    idea_ids = {idea.id for idea in speedlab.ideas}
    if not set(allocation) <= idea_ids:
        raise SpeedlabError(_("Dat idee hoort niet bij dit speedlab."))
    db.session.execute(delete(Vote).where(Vote.voter_id == voter.id))
    slot = 0
    for idea_id in sorted(allocation):
        for _count in range(allocation[idea_id]):
            slot += 1
            db.session.add(Vote(session_id=speedlab.id, dots_per_participant=speedlab.dots_per_participant,
                                voter_id=voter.id, idea_id=idea_id, slot=slot, cast_at=now))
    db.session.flush()


def own_dots(speedlab: SpeedlabSession, voter: SpeedlabInvitation | None) -> dict[int, int]:
    if voter is None:
        return {}
    return dict(db.session.execute(
        select(Vote.idea_id, func.count()).where(Vote.session_id == speedlab.id, Vote.voter_id == voter.id)
        .group_by(Vote.idea_id)).all())


def tally(speedlab: SpeedlabSession) -> dict[int, int]:
    return dict(db.session.execute(
        select(Vote.idea_id, func.count()).where(Vote.session_id == speedlab.id).group_by(Vote.idea_id)).all())


def voters_count(speedlab: SpeedlabSession) -> int:
    return db.session.scalar(
        select(func.count(func.distinct(Vote.voter_id))).where(Vote.session_id == speedlab.id))


@dataclass
class RankedIdea:
    rank: int
    idea: Idea
    dots: int


def ranking(speedlab: SpeedlabSession) -> list[RankedIdea]:
    """Ideas by dots, most first; equal dots share a rank (1, 2, 2, 4)."""
    counts = tally(speedlab)
    ordered = sorted(speedlab.ideas, key=lambda idea: (-counts.get(idea.id, 0), idea.id))
    result, previous, rank = [], None, 0
    for index, idea in enumerate(ordered, start=1):
        dots = counts.get(idea.id, 0)
        if dots != previous:
            rank, previous = index, dots
        result.append(RankedIdea(rank=rank, idea=idea, dots=dots))
    return result


def ideas_by_cluster(speedlab: SpeedlabSession) -> list[tuple[Cluster | None, list[Idea]]]:
    """Each heading with its ideas in order, then the ideas not under a heading (None)."""
    groups: dict[int | None, list[Idea]] = defaultdict(list)
    for idea in sorted(speedlab.ideas, key=lambda i: (i.position, i.id)):
        groups[idea.cluster_id].append(idea)
    result = [(cluster, groups.get(cluster.id, [])) for cluster in speedlab.clusters]
    if groups.get(None) or not speedlab.clusters:
        result.append((None, groups.get(None, [])))
    return result


# --- Who is looking at the board --------------------------------------------------------------

JOINABLE = SEAT_HOLDING


def poll_status(session_id: int, *, user_id: int | None, guest_invitation_ids: list[int]):
    """One query for a polling board: the session's revision and state, and whether this person
    holds a joinable invitation. None when the session does not exist."""
    invitation = SpeedlabInvitation
    who = []
    if user_id is not None:
        who.append(invitation.user_id == user_id)
    if guest_invitation_ids:
        who.append(invitation.id.in_(guest_invitation_ids))
    invited = exists().where(invitation.session_id == SpeedlabSession.id, invitation.status.in_(JOINABLE),
                             or_(*who)) if who else None
    columns = [SpeedlabSession.revision, SpeedlabSession.phase, SpeedlabSession.round_open,
               SpeedlabSession.round_ends_at, SpeedlabSession.cancelled_at]
    columns.append(invited.label("invited") if invited is not None else literal(False).label("invited"))
    return db.session.execute(select(*columns).where(SpeedlabSession.id == session_id)).one_or_none()


def state_of(phase: str, round_open: bool, round_ends_at: datetime | None, now: datetime) -> str:
    return board_state(phase, round_open, round_ends_at, now)


# --- Afterwards --------------------------------------------------------------------------------

def participants(speedlab: SpeedlabSession) -> list[SpeedlabInvitation]:
    return [i for i in speedlab.invitations if i.status in JOINABLE]


def send_summary(speedlab: SpeedlabSession, *, by: User, now: datetime):
    """Mail the summary to the problem owner: question, participants, ideas by cluster, ranking and
    the facilitator's notes (the session's own output; the vraagstuk's facts and concerns stay out)."""
    address = speedlab.owner_address
    if not address:
        raise SpeedlabError(_("Dit speedlab heeft geen probleemeigenaar met een e-mailadres."))
    message = queue_message(
        key=f"speedlab:{speedlab.id}:summary:rev{speedlab.revision}", to=address, template="speedlab_summary",
        locale=speedlab.owner_user.locale if speedlab.owner_user else "nl", now=now,
        speedlab=speedlab, participants=participants(speedlab), groups=ideas_by_cluster(speedlab),
        ranking=ranking(speedlab), link=external_url("speedlabs.summary", session_id=speedlab.id),
    )
    speedlab.summary_sent_at = now
    record("speedlab_summary_sent", actor=by, obj=speedlab, now=now)
    return message


def save_notes(speedlab: SpeedlabSession, *, notes: str, by: User, now: datetime) -> None:
    speedlab.facilitator_notes = notes.strip()
    db.session.flush()


def idea_to_problem(idea: Idea, *, by: User, now: datetime) -> Problem:
    """A draft vraagstuk pre-filled from the idea. The opdrachtgever is the problem owner when
    they have an account; otherwise the facilitator holds it until someone takes it over."""
    if idea.problem_id is not None:
        raise SpeedlabError(_("Van dit idee is al een vraagstuk gemaakt."))
    speedlab = idea.session
    commissioner = speedlab.owner_user or by
    description = idea.explanation
    source = _("Idee uit speedlab '%(title)s' van %(date)s.", title=speedlab.title,
               date=local(speedlab.starts_at).strftime("%d-%m-%Y"))
    problem = Problem(
        commissioner=commissioner,
        organisation=speedlab.owner_organisation or commissioner.organisation,
        title=idea.title[:200], description=f"{description}\n\n{source}".strip(),
        theme=(speedlab.problem.theme if speedlab.problem else "") or (speedlab.lab.theme if speedlab.lab else ""),
        status=ProblemStatus.DRAFT, confidentiality=Confidentiality.INTERNAL, created_at=now, updated_at=now,
    )
    db.session.add(problem)
    db.session.flush()
    idea.problem_id = problem.id
    db.session.flush()
    record("speedlab_idea_to_problem", actor=by, obj=problem, now=now, idea=idea.id, speedlab=speedlab.id)
    return problem


def sessions_page(user, *, page: int) -> Page:
    """One page of the speedlabs `user` may see, newest first."""
    return paginate(_sessions_for_query(user), page=page)


def _sessions_for_query(user):
    """Facilitators see every speedlab; others those they are invited to or own."""
    query = select(SpeedlabSession).order_by(SpeedlabSession.starts_at.desc(), SpeedlabSession.id.desc())
    if not is_facilitator(user):
        query = query.where(or_(
            SpeedlabSession.owner_user_id == user.id,
            exists().where(and_(SpeedlabInvitation.session_id == SpeedlabSession.id,
                                SpeedlabInvitation.user_id == user.id,
                                SpeedlabInvitation.status.in_(JOINABLE))),
        ))
    return query
