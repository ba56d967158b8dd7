"""The board's core: loading one board in a fixed number of queries (and the overview of every
board a person may read), the board lock and event that every change goes through, and the
challenge itself (goal and plan, start date, team leader).

Services take the acting user and the time (`by=`, `now=`), flush but never commit. Every change on
the board raises `Challenge.board_version` in SQL (`board_version + 1`, atomic under concurrent
writers) and writes a `BoardEvent` (`record_event`, under `lock_board`), so the other team members'
browsers notice it on their next refresh and the activity feed tells who did what. The parts that
change or read one side of a board build on this module: `card_changes` (cards added, edited and
moved), `tracking` (indicators, weekly updates, hours and the progress picture) and `refreshing`
(the cheap refresh check and the columns fragment).
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache

from flask_babel import gettext as _
from sqlalchemy import Integer, bindparam, func, select, update
from sqlalchemy.orm import contains_eager, joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from fieldlab.auth.models import User
from fieldlab.auth.permissions import TeamRelation
from fieldlab.boards import hooks
from fieldlab.boards.models import BoardCard, BoardEvent, Challenge, EventKind, ProgressUpdate, Status
from fieldlab.extensions import db
from fieldlab.labs.models import Lab
from fieldlab.paging import Page, paginate
from fieldlab.sqlite_turns import take_turn
from fieldlab.teams.models import Membership, Team, TeamRole
from fieldlab.teams.visibility import team_relation_columns, visible_boards_clause

FEED_LENGTH = 25


class BoardError(Exception):
    """A change the board's rules refuse; the message is Dutch and shown next to the form."""


class StaleCardError(BoardError):
    """The card changed since the form was opened: carries the card as it is now."""

    def __init__(self, current: BoardCard):
        super().__init__("stale card")
        self.current = current


# --- Reading a board --------------------------------------------------------------------------

@dataclass
class Board:
    """One team's board as the page needs it; `relation` answers the permission rules."""

    relation: TeamRelation
    latest_status: str | None
    lab_name: str = ""
    members: list[Membership] = field(default_factory=list)
    cards: list[BoardCard] = field(default_factory=list)

    @property
    def team(self) -> Team:
        return self.relation.team

    @property
    def challenge(self) -> Challenge | None:
        return self.team.challenge

    @property
    def version(self) -> int:
        return self.challenge.board_version if self.challenge else 0

    @property
    def latest_status_label(self) -> str | None:
        return Status(self.latest_status).label if self.latest_status else None


def latest_status_column():
    """SQL on `Challenge`: the traffic light of its latest weekly update (the board header's status)."""
    return (
        select(ProgressUpdate.status)
        .where(ProgressUpdate.challenge_id == Challenge.id)
        .order_by(ProgressUpdate.created_at.desc(), ProgressUpdate.id.desc())
        .limit(1).correlate(Challenge).scalar_subquery()
    )


@cache
def _board_statement():
    """Built once: the statement's shape never changes, only its parameters. The Lab is only a
    name in the header and the access facts are columns, so the team and its challenge are the
    only objects (with the Lab and the vraagstuk as objects too, the query took 0.34 ms instead of
    0.20 in-process; a route that does need them gets them when it asks, in a query of its own)."""
    viewer = bindparam("viewer_id", type_=Integer)
    return (
        select(Team, Lab.name.label("lab_name"), *team_relation_columns(viewer), latest_status_column())
        .join(Lab, Lab.id == Team.lab_id)
        .outerjoin(Team.challenge)
        .options(contains_eager(Team.challenge))
        .where(Team.id == bindparam("team_id", type_=Integer))
    )


def load_board(user, team_id: int) -> Board | None:
    """One query: the team, its challenge, its Lab's name, the latest traffic light and how `user`
    relates to it. None when the team does not exist (the caller still checks `board.view`)."""
    row = db.session.execute(_board_statement(), {"viewer_id": user.id, "team_id": team_id}).first()
    if row is None:
        return None
    team, lab_name, member, manager, commissioner, lab_participant, boards_open, status = row
    relation = TeamRelation(team, bool(member), bool(manager), bool(commissioner), bool(lab_participant),
                            bool(boards_open))
    return Board(relation=relation, latest_status=status, lab_name=lab_name)


def load_members(board: Board) -> list[Membership]:
    members = db.session.scalars(
        select(Membership).join(Membership.user)
        .options(contains_eager(Membership.user).lazyload(User.role_rows))
        .where(Membership.team_id == board.team.id).order_by(Membership.user_id)
    ).all()
    members = sorted(members, key=lambda membership: membership.user.name.lower())
    set_committed_value(board.team, "memberships", list(members))
    board.members = members
    return members


def load_cards_of(challenge_id: int | None) -> list[BoardCard]:
    if challenge_id is None:
        return []
    return list(db.session.scalars(
        select(BoardCard).options(joinedload(BoardCard.owner).lazyload(User.role_rows))
        .where(BoardCard.challenge_id == challenge_id)
        .order_by(BoardCard.column_key, BoardCard.position, BoardCard.id)
    ).all())


def load_cards(board: Board) -> list[BoardCard]:
    board.cards = load_cards_of(board.challenge.id if board.challenge else None)
    for card in board.cards:
        set_committed_value(card, "challenge", board.challenge)
    return board.cards


def load_events_of(challenge_id: int | None, limit: int = FEED_LENGTH) -> list[BoardEvent]:
    if challenge_id is None:
        return []
    return list(db.session.scalars(
        select(BoardEvent).options(joinedload(BoardEvent.actor).lazyload(User.role_rows))
        .where(BoardEvent.challenge_id == challenge_id)
        .order_by(BoardEvent.at.desc(), BoardEvent.id.desc()).limit(limit)
    ).all())


def people_renamed(names: dict[int, tuple[str, str]]) -> None:
    """Names show on the cards and in the feed of every board a person worked on, and those are
    rendered once per board version (`fieldlab.fragments`): a new name (the privacy purge gives
    one; `names` maps a user id to (old name, new name)) raises the version of those boards, so
    nobody sees the old name in a kept fragment. The 'chose a team leader' event copied the
    leader's name into its text; that copy is rewritten too."""
    if not names:
        return
    user_ids = list(names)
    their_boards = (select(Challenge.id).join(Membership, Membership.team_id == Challenge.team_id)
                    .where(Membership.user_id.in_(user_ids)))
    for event in db.session.scalars(select(BoardEvent).where(BoardEvent.kind == EventKind.LEADER_CHOSEN,
                                                            BoardEvent.challenge_id.in_(their_boards))):
        detail = event.detail or {}
        for user_id, (old_name, new_name) in names.items():
            # Events from before the leader's id was recorded are matched by the name they carry.
            if detail.get("leader_id") == user_id or ("leader_id" not in detail and detail.get("name") == old_name):
                event.detail = {**detail, "name": new_name}
    db.session.flush()
    touched = (select(BoardCard.challenge_id).where(BoardCard.owner_id.in_(user_ids))
               .union(select(BoardEvent.challenge_id).where(BoardEvent.actor_id.in_(user_ids)), their_boards))
    db.session.execute(
        update(Challenge).where(Challenge.id.in_(touched))
        .values(board_version=Challenge.board_version + 1)
        .execution_options(synchronize_session=False)
    )


def get_card(board: Board, card_id: int) -> BoardCard | None:
    """A card of this board only: a card id of another team's board is not found here."""
    if board.challenge is None:
        return None
    return db.session.scalar(
        select(BoardCard).options(joinedload(BoardCard.owner).lazyload(User.role_rows))
        .where(BoardCard.id == card_id, BoardCard.challenge_id == board.challenge.id)
    )


def get_card_of(challenge_id: int | None, card_id: int) -> BoardCard | None:
    """As `get_card`, by the board's challenge id, without the owner (a move does not need it)."""
    card = db.session.get(BoardCard, card_id) if challenge_id is not None else None
    return card if card is not None and card.challenge_id == challenge_id else None


# --- Changing the board -----------------------------------------------------------------------

def ensure_challenge(team: Team, *, now: datetime) -> Challenge:
    """Every team gets its challenge the first time someone works on it."""
    if team.challenge is None:
        team.challenge = Challenge(board_changed_at=now, updated_at=now)
        db.session.flush()
    return team.challenge


def _touch(challenge: Challenge, now: datetime) -> None:
    challenge.board_version = Challenge.board_version + 1
    challenge.board_changed_at = now


def lock_board(challenge_id: int, *, now: datetime | None = None) -> None:
    """Serialise the changes of one board: positions are computed from what is in a column, so
    two moves or adds at the same moment must not both read the old state. Writing the board's
    row first takes its row lock (PostgreSQL) or the write lock (SQLite) until commit: concurrent
    writers of one board wait in line instead of deadlocking or colliding. Without `now` it is a
    no-change UPDATE (the version rises with the ORM event); with `now` it raises the version
    itself, for changes written in Core. On SQLite the writers of all boards first wait their turn
    on a file lock (`fieldlab.sqlite_turns`), which hands over at once where SQLite's own waiting
    sleeps."""
    take_turn(db.session)  # before the flush: a transaction that has written must not wait for a turn
    db.session.flush()  # what the ORM holds goes first, as an ORM statement would autoflush it
    lock, lock_and_raise = _lock_statements()
    if now is None:
        db.session.connection().execute(lock, {"the_board": challenge_id})
    else:
        db.session.connection().execute(lock_and_raise, {"the_board": challenge_id, "board_changed_at": now})


@cache
def _lock_statements():
    challenges = Challenge.__table__
    board = update(challenges).where(challenges.c.id == bindparam("the_board", type_=Integer))
    return (board.values(board_version=challenges.c.board_version),
            board.values(board_version=challenges.c.board_version + 1,
                         board_changed_at=bindparam("board_changed_at", type_=challenges.c.board_changed_at.type)))


def record_event(challenge: Challenge, kind: EventKind, *, by, now: datetime, card: BoardCard | None = None,
                 **detail) -> BoardEvent:
    event = BoardEvent(challenge_id=challenge.id, actor_id=getattr(by, "id", None), at=now, kind=kind,
                       card_id=card.id if card is not None else None,
                       detail={key: value for key, value in detail.items() if value is not None})
    db.session.add(event)
    _touch(challenge, now)
    return event


# --- The challenge and its artefacts ------------------------------------------------------------

def update_challenge(challenge: Challenge, *, goal: str, intervention_plan: str, team_agreement: str,
                     hours_committed: int | None, by, now: datetime) -> Challenge:
    challenge.goal = (goal or "").strip()
    challenge.intervention_plan = (intervention_plan or "").strip()
    challenge.team_agreement = (team_agreement or "").strip()
    challenge.hours_committed = hours_committed
    challenge.updated_at = now
    record_event(challenge, EventKind.CHALLENGE_EDITED, by=by, now=now)
    db.session.flush()
    return challenge


def set_start_date(challenge: Challenge, starts_on: date | None, *, by, now: datetime) -> date | None:
    """Set or move day 1 of the challenge; returns the previous start date. The one place a start
    date changes, so the terugkomdagen of day 1, 50 and 100 are proposed (or re-proposed) here."""
    previous = challenge.starts_on
    if previous == starts_on:
        return previous
    challenge.starts_on = starts_on
    challenge.updated_at = now
    record_event(challenge, EventKind.START_DATE_SET, by=by, now=now,
                 starts_on=starts_on.isoformat() if starts_on else None,
                 previous=previous.isoformat() if previous else None)
    db.session.flush()
    if starts_on is not None:
        hooks.start_date_changed.send(challenge, by=by, now=now)
    return previous


def return_days_review_asked(challenge: Challenge, *, now: datetime) -> str | None:
    """The day numbers ("1, 50") whose re-planning a start-date change at `now` asked of the
    facilitator (the returndays listener records it on the board), so the team is told at once."""
    detail = db.session.scalar(select(BoardEvent.detail).where(
        BoardEvent.challenge_id == challenge.id, BoardEvent.kind == EventKind.RETURN_DAYS_REVIEW, BoardEvent.at == now))
    return (detail or {}).get("name") if detail is not None else None


def choose_team_leader(team: Team, user_id: int, *, by, now: datetime) -> Membership:
    """The team chooses one leader among its members; the others become members again."""
    chosen = next((membership for membership in team.memberships if membership.user_id == user_id), None)
    if chosen is None:
        raise BoardError(_("De teamleider moet lid zijn van het team."))
    for membership in team.memberships:
        membership.role = TeamRole.LEADER if membership is chosen else TeamRole.MEMBER
    challenge = ensure_challenge(team, now=now)
    record_event(challenge, EventKind.LEADER_CHOSEN, by=by, now=now, name=chosen.user.name, leader_id=chosen.user_id)
    db.session.flush()
    return chosen

# --- The overview of all teams -------------------------------------------------------------------

@dataclass
class TeamOverview:
    team: Team
    day: int | None
    latest: ProgressUpdate | None


def latest_updates(challenge_ids: list[int]) -> dict[int, ProgressUpdate]:
    """Each challenge's latest progress update with its author, by challenge id (one statement;
    none for no challenges)."""
    latest: dict[int, ProgressUpdate] = {}
    if not challenge_ids:
        return latest
    ranked = (
        select(ProgressUpdate.id, func.row_number().over(
            partition_by=ProgressUpdate.challenge_id,
            order_by=(ProgressUpdate.created_at.desc(), ProgressUpdate.id.desc())).label("rank"))
        .where(ProgressUpdate.challenge_id.in_(challenge_ids)).subquery()
    )
    for progress in db.session.scalars(
        select(ProgressUpdate).options(joinedload(ProgressUpdate.author).lazyload(User.role_rows))
        .join(ranked, ranked.c.id == ProgressUpdate.id).where(ranked.c.rank == 1)
    ):
        latest[progress.challenge_id] = progress
    return latest


def overview(user, *, today: date, page: int = 1) -> Page:
    """One page of the teams whose board `user` may read, each with its latest progress update
    (4 queries: the count, the teams, the latest updates with their authors)."""
    teams_page = paginate(
        select(Team).outerjoin(Team.challenge)
        .options(contains_eager(Team.challenge), joinedload(Team.lab), joinedload(Team.problem),
                 selectinload(Team.result))
        .where(visible_boards_clause(user)).order_by(Team.name, Team.id),
        page=page)
    teams = teams_page.items
    latest = latest_updates([team.challenge.id for team in teams if team.challenge is not None])
    teams_page.items = [TeamOverview(team, team.challenge.day_on(today) if team.challenge else None,
                                     latest.get(team.challenge.id) if team.challenge else None) for team in teams]
    return teams_page
