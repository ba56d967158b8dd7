"""The speedlab session itself: the rules every other part of a speedlab obeys, and who may look.

Here are the session's errors (each with the Dutch text for the user), the guard against acting on
a cancelled session, the row lock that every action several people take at once goes through, who
takes part, the one query behind a polling board and the list of speedlabs a person may see. The
other speedlab modules (preparing, invitations, alumni, rounds) build on this one and it on none
of them, which is why it stands alone.

Services take `by=` and `now=`, flush but never commit. Everything several people do at once
(ideas, dots, seats) first takes the session row's write lock by raising its `revision`
(`lock_session`); the database constraints on the models are the last word (see models.py).
"""

from datetime import datetime
from functools import cache

from flask_babel import gettext as _
from sqlalchemy import Integer, and_, bindparam, exists, func, literal, or_, select, update

from fieldlab import reference_cache
from fieldlab.auth.permissions import is_facilitator
from fieldlab.extensions import db
from fieldlab.paging import Page, paginate
from fieldlab.speedlabs.models import SEAT_HOLDING, SpeedlabInvitation, SpeedlabSession, board_state


class SpeedlabError(Exception):
    """A rule of the session refused the action; `message` is the Dutch text for the user."""

    status = 409

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class SpeedlabCancelled(SpeedlabError):
    """Nothing happens in a cancelled speedlab: no invitations, answers, rounds, ideas or dots."""


def ensure_not_cancelled(speedlab: SpeedlabSession) -> None:
    if speedlab.cancelled:
        raise SpeedlabCancelled(_("Dit speedlab is geannuleerd."))


def lock_session(speedlab: SpeedlabSession) -> None:
    """Raise the revision (every board refreshes) and hold the row's write lock until commit, so
    seat counts, rounds and dots are read and changed by one writer at a time."""
    db.session.execute(
        update(SpeedlabSession).where(SpeedlabSession.id == speedlab.id)
        .values(revision=SpeedlabSession.revision + 1).execution_options(synchronize_session=False)
    )
    db.session.refresh(speedlab)


# --- Who takes part and who is looking at the board -------------------------------------------

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


def coming_for(user, *, now: datetime, limit: int = 5) -> list[SpeedlabSession]:
    """The speedlabs not over yet that `user` may join (a seat or an unanswered invitation) or
    owns as the problem owner, soonest first: the home page names them, since only facilitators
    have the Speedlabs menu and the invitation mail was the only way in."""
    return list(db.session.scalars(_coming_statement(), {"user_id": user.id, "now": now, "limit": limit}))


def any_coming(now: datetime) -> bool:
    """Whether any speedlab is still to end, from the latest end kept with the reference lists
    (`reference_cache`; speedlabs.wiring watches the sessions' times and cancellation): most home
    pages then ask nothing more, since most days no speedlab is planned at all."""
    last_end = reference_cache.cached(("speedlabs-last-end",), lambda: db.session.scalar(
        select(func.max(SpeedlabSession.ends_at)).where(SpeedlabSession.cancelled_at.is_(None))))
    return last_end is not None and last_end > now


@cache
def _coming_statement():
    """Built once, the person and the moment as parameters: on a home page, building it cost as
    much as running it."""
    user_id = bindparam("user_id", type_=Integer)
    invited = exists().where(SpeedlabInvitation.session_id == SpeedlabSession.id,
                             SpeedlabInvitation.user_id == user_id, SpeedlabInvitation.status.in_(JOINABLE))
    return (select(SpeedlabSession)
            .where(SpeedlabSession.cancelled_at.is_(None),
                   SpeedlabSession.ends_at > bindparam("now", type_=SpeedlabSession.ends_at.type),
                   or_(SpeedlabSession.owner_user_id == user_id, invited))
            .order_by(SpeedlabSession.starts_at, SpeedlabSession.id).limit(bindparam("limit", type_=Integer)))


def participants(speedlab: SpeedlabSession) -> list[SpeedlabInvitation]:
    return [i for i in speedlab.invitations if i.status in JOINABLE]


# --- The list of speedlabs ---------------------------------------------------------------------

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
