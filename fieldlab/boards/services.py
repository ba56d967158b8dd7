"""The board's rules: loading a board in a fixed number of queries, editing cards with optimistic
locking, moving cards, the challenge's artefacts, indicators and weekly progress updates.

Services take the acting user and the time (`by=`, `now=`), flush but never commit. Every change on
the board raises `Challenge.board_version` in SQL (`board_version + 1`, atomic under concurrent
writers) and writes a `BoardEvent`, so the other team members' browsers notice it on their next
refresh and the activity feed tells who did what.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache, cached_property

from sqlalchemy import Integer, bindparam, func, insert, select, update
from sqlalchemy.orm import contains_eager, joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from fieldlab import submissions
from fieldlab.auth.models import User
from fieldlab.auth.permissions import TeamRelation
from fieldlab.auth.services import live_session_clause
from fieldlab.boards import hooks
from fieldlab.boards.charts import LineChart, line_chart
from fieldlab.boards.models import (
    CHALLENGE_DAYS,
    QUICK_WIN_DAYS,
    BoardCard,
    BoardEvent,
    Challenge,
    Column,
    EventKind,
    Indicator,
    IndicatorValue,
    ProgressUpdate,
    Status,
)
from fieldlab.extensions import db
from fieldlab.paging import Page, paginate
from fieldlab.teams.models import Membership, Team, TeamRole
from fieldlab.teams.visibility import board_readers_clause, team_relation_columns, visible_boards_clause
from fieldlab.timeutil import local

FEED_LENGTH = 25
MAX_POSITION = 2**31 - 1
_CARD_ID_SLOT = 987654321  # a card id no board has, replaced in card_url()


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


def _latest_status_column():
    return (
        select(ProgressUpdate.status)
        .where(ProgressUpdate.challenge_id == Challenge.id)
        .order_by(ProgressUpdate.created_at.desc(), ProgressUpdate.id.desc())
        .limit(1).correlate(Challenge).scalar_subquery()
    )


@cache
def _board_statement():
    """Built once: the statement's shape never changes, only its parameters."""
    viewer = bindparam("viewer_id", type_=Integer)
    return (
        select(Team, *team_relation_columns(viewer), _latest_status_column())
        .outerjoin(Team.challenge)
        .options(contains_eager(Team.challenge), joinedload(Team.lab), joinedload(Team.problem))
        .where(Team.id == bindparam("team_id", type_=Integer))
    )


def load_board(user, team_id: int) -> Board | None:
    """One query: the team, its Lab, vraagstuk, challenge, latest traffic light and how `user`
    relates to it. None when the team does not exist (the caller still checks `board.view`)."""
    row = db.session.execute(_board_statement(), {"viewer_id": user.id, "team_id": team_id}).first()
    if row is None:
        return None
    team, member, manager, commissioner, lab_participant, boards_open, status = row
    relation = TeamRelation(team, bool(member), bool(manager), bool(commissioner), bool(lab_participant),
                            bool(boards_open))
    return Board(relation=relation, latest_status=status)


@dataclass
class BoardState:
    """What the refresh needs to decide: access, the board's version, and what a fragment shows."""

    relation: TeamRelation
    challenge_id: int | None
    version: int
    changed_at: datetime | None
    starts_on: date | None


@cache
def _state_statement():
    viewer = bindparam("viewer_id", type_=Integer)
    return (
        select(Challenge.id, Challenge.board_version, Challenge.board_changed_at, Challenge.starts_on,
               *team_relation_columns(viewer))
        .select_from(Team).outerjoin(Challenge, Challenge.team_id == Team.id)
        .where(Team.id == bindparam("team_id", type_=Integer))
    )


def board_state(user, team_id: int) -> BoardState | None:
    """The cheap refresh check: one indexed query (team and challenge by key) for the board's
    version together with the access facts. Core, not ORM: nothing here is an entity."""
    row = db.session.connection().execute(_state_statement(), {"viewer_id": user.id, "team_id": team_id}).first()
    if row is None:
        return None
    challenge_id, version, changed_at, starts_on, member, manager, commissioner, lab_participant, boards_open = row
    relation = TeamRelation(None, bool(member), bool(manager), bool(commissioner), bool(lab_participant),
                            bool(boards_open))
    return BoardState(relation, challenge_id, version or 0, changed_at, starts_on)


@cache
def _unchanged_statement(two_factor_roles: tuple[str, ...]):
    viewer = bindparam("viewer_id", type_=Integer)
    return (
        select(Challenge.id)
        .select_from(Team).join(Challenge, Challenge.team_id == Team.id).join(User, User.id == viewer)
        .where(Team.id == bindparam("team_id", type_=Integer),
               Challenge.board_version == bindparam("version", type_=Integer),
               live_session_clause(viewer, bindparam("session_token"), two_factor_roles),
               board_readers_clause(viewer))
    )


def board_unchanged(login, team_id: int, version: int, *, two_factor_roles: tuple[str, ...]) -> bool:
    """The refresh's cheap path, one indexed query without loading the user: the board is still
    at `version`, the session (`auth.services.SessionLogin`) is live and may read the board.
    False for any doubt, after which the caller takes the normal path that loads and checks
    everything."""
    parameters = {"viewer_id": login.user_id, "session_token": login.session_token, "team_id": team_id,
                  "version": version}
    statement = _unchanged_statement(tuple(two_factor_roles))
    # A connection of its own, not the ORM session's: nothing here is an entity, and this runs
    # for every open board every few seconds.
    with db.engine.connect() as connection:
        return connection.execute(statement, parameters).first() is not None


@dataclass
class ColumnsView:
    """What the columns fragment shows; the full page and the refresh build the same one. The
    cards are loaded only when the fragment is rendered (`fragment_key` says when it must be)."""

    team_id: int
    challenge_id: int | None
    version: int
    changed_at: datetime | None
    starts_on: date | None
    editable: bool
    cards: list[BoardCard] | None = None

    @classmethod
    def of(cls, board: "Board", editable: bool) -> "ColumnsView":
        challenge = board.challenge
        return cls(team_id=board.team.id, challenge_id=challenge.id if challenge else None, version=board.version,
                   changed_at=challenge.board_changed_at if challenge else None,
                   starts_on=challenge.starts_on if challenge else None, editable=editable,
                   cards=board.cards if board.cards else None)

    @classmethod
    def of_state(cls, team_id: int, state: BoardState, editable: bool) -> "ColumnsView":
        return cls(team_id=team_id, challenge_id=state.challenge_id, version=state.version,
                   changed_at=state.changed_at, starts_on=state.starts_on, editable=editable)

    @property
    def fragment_key(self) -> tuple:
        """Everything the rendered columns depend on but the language: every change on the board
        raises its version (and a user's new name too, see `people_renamed`)."""
        return ("board-columns", self.team_id, self.challenge_id, self.version, self.changed_at, self.editable)

    def columns(self) -> list[tuple[Column, list[BoardCard]]]:
        if self.cards is None:
            self.cards = load_cards_of(self.challenge_id)
        by_column: dict[str, list[BoardCard]] = defaultdict(list)
        for card in self.cards:
            by_column[card.column_key].append(card)
        return [(column, by_column[column.value]) for column in Column]

    # A board renders the same few words and links for every card: translate and build them once
    # per response, not once per card (gettext and url_for cost more than the card's own markup).

    @cached_property
    def text(self) -> dict[str, str]:
        from flask_babel import gettext as _

        return {"due": _("klaar op dag %(day)s"), "labels": _("Labels"), "quick_win": _("quick win"),
                "edit": _("Bewerken"), "edit_named": _("Bewerken: %(title)s"), "move": _("Verplaatsen"),
                "move_named": _("Verplaatsen: %(title)s"), "move_to": _("Verplaats naar"),
                "position": _("Positie"), "position_hint": _("(leeg is onderaan)")}

    @cached_property
    def column_options(self) -> list[tuple[str, str]]:
        return [(column.value, column.label) for column in Column]

    @cached_property
    def _url_templates(self) -> dict[str, str]:
        from flask import url_for

        return {kind: url_for(endpoint, team_id=self.team_id, card_id=_CARD_ID_SLOT)
                for kind, endpoint in (("edit", "boards.edit_card"), ("move", "boards.move_card"),
                                       ("move_form", "boards.move_card_form"))}

    def card_url(self, kind: str, card_id: int) -> str:
        return self._url_templates[kind].replace(str(_CARD_ID_SLOT), str(card_id))

    @cached_property
    def _due_date_format(self):
        """babel's format_date(…, "d MMM") with the pattern parsed once per fragment, not per card."""
        from babel.dates import parse_pattern
        from flask_babel import get_locale

        pattern, locale = parse_pattern("d MMM"), get_locale()
        return lambda day: pattern.apply(day, locale)

    def due_date_label(self, day: int | None) -> str:
        """'1 nov' for a due day, or '' without a start date."""
        if day is None or self.starts_on is None:
            return ""
        return self._due_date_format(self.starts_on + timedelta(days=day - 1))


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


def _lock_board(challenge_id: int, *, now: datetime | None = None) -> None:
    """Serialise the changes of one board: positions are computed from what is in a column, so
    two moves or adds at the same moment must not both read the old state. Writing the board's
    row first takes its row lock (PostgreSQL) or the write lock (SQLite) until commit: concurrent
    writers of one board wait in line instead of deadlocking or colliding. Without `now` it is a
    no-change UPDATE (the version rises with the ORM event); with `now` it raises the version
    itself, for changes written in Core."""
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


def _clean_labels(labels) -> list[str]:
    if isinstance(labels, str):
        labels = labels.split(",")
    seen: dict[str, None] = {}
    for label in labels or ():
        label = label.strip()[:40]
        if label:
            seen.setdefault(label, None)
    return list(seen)


def _check_card(*, team: Team, owner_id: int, due_day: int | None, quick_win: bool) -> None:
    from flask_babel import gettext as _

    if owner_id not in team.member_ids:
        raise BoardError(_("De eigenaar moet lid zijn van het team."))
    if due_day is not None and not 1 <= due_day <= CHALLENGE_DAYS:
        raise BoardError(_("Kies een dag tussen 1 en 100."))
    if quick_win and (due_day is None or due_day > QUICK_WIN_DAYS):
        raise BoardError(_("Een quick win is klaar in de eerste 15 dagen: kies een dag van 1 tot en met 15."))


def add_card(challenge: Challenge, *, title: str, owner_id: int, description: str = "", due_day: int | None = None,
             labels=(), quick_win: bool = False, column: Column = Column.PLANNED, by, now: datetime,
             submission: str | None = None) -> BoardCard:
    """A new card at the bottom of its column; a repeat of the same form render (`submission`,
    see fieldlab.submissions) returns the card the first submit added."""
    _check_card(team=challenge.team, owner_id=owner_id, due_day=due_day, quick_win=quick_win)
    _lock_board(challenge.id)
    earlier = submissions.claim(submission, "board_card", now=now)
    if earlier is not None and earlier.result_id:
        stored = db.session.get(BoardCard, earlier.result_id)
        if stored is not None and stored.challenge_id == challenge.id:
            return stored
    last = db.session.scalar(
        select(func.max(BoardCard.position))
        .where(BoardCard.challenge_id == challenge.id, BoardCard.column_key == column)
    )
    card = BoardCard(challenge_id=challenge.id, title=title.strip(), description=(description or "").strip(),
                     owner_id=owner_id, due_day=due_day, labels=_clean_labels(labels), quick_win=quick_win,
                     column_key=column, position=0 if last is None else last + 1, version=1,
                     created_at=now, updated_at=now, updated_by_id=by.id,
                     done_at=now if column == Column.DONE else None)
    db.session.add(card)
    db.session.flush()
    record_event(challenge, EventKind.CARD_ADDED, by=by, now=now, card=card, title=card.title)
    db.session.flush()
    submissions.record_result(submission, "board_card", card.id)
    return card


def edit_card(card: BoardCard, *, expected_version: int, title: str, owner_id: int, description: str = "",
              due_day: int | None = None, labels=(), quick_win: bool = False, by, now: datetime) -> BoardCard:
    """Save an edit only if nobody saved one since the form was opened (`expected_version`);
    otherwise raise StaleCardError with the card as the other person left it. The check and the
    write are one conditional UPDATE, so two saves at the same moment cannot both win."""
    _check_card(team=card.challenge.team, owner_id=owner_id, due_day=due_day, quick_win=quick_win)
    _lock_board(card.challenge_id)  # board row before card row, in every change: no lock cycles
    result = db.session.execute(
        update(BoardCard)
        .where(BoardCard.id == card.id, BoardCard.version == expected_version)
        .values(title=title.strip(), description=(description or "").strip(), owner_id=owner_id, due_day=due_day,
                labels=_clean_labels(labels), quick_win=quick_win, version=BoardCard.version + 1,
                updated_at=now, updated_by_id=by.id)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(card)
    if result.rowcount != 1:
        raise StaleCardError(card)
    record_event(card.challenge, EventKind.CARD_EDITED, by=by, now=now, card=card, title=card.title)
    db.session.flush()
    return card


@dataclass(frozen=True)
class _MoveStatements:
    """The Core statements of a move, built once (building them cost about as much as running them)."""

    where_and_room: object
    shift: object
    place: object
    event: object


@cache
def _move_statements() -> _MoveStatements:
    cards = BoardCard.__table__
    # Bind names differ from column names: in an UPDATE, a bind named like a column means its new value.
    card_id, challenge_id = bindparam("the_card", type_=Integer), bindparam("the_board", type_=Integer)
    others_in_target = (
        select(func.count()).select_from(cards)
        .where(cards.c.challenge_id == challenge_id, cards.c.column_key == bindparam("target"),
               cards.c.id != card_id)
        .scalar_subquery()
    )
    return _MoveStatements(
        where_and_room=select(cards.c.column_key, cards.c.position, cards.c.title, cards.c.done_at, others_in_target)
        .where(cards.c.id == card_id, cards.c.challenge_id == challenge_id),
        # The cards from `low` to `high` (inclusive) in one column move `delta` places.
        shift=update(cards).where(
            cards.c.challenge_id == challenge_id, cards.c.id != card_id,
            cards.c.column_key == bindparam("shift_column"),
            cards.c.position.between(bindparam("low", type_=Integer), bindparam("high", type_=Integer)),
        ).values(position=cards.c.position + bindparam("delta", type_=Integer)),
        place=update(cards).where(cards.c.id == card_id).values(
            **{name: bindparam(name, type_=cards.c[name].type)
               for name in ("column_key", "position", "done_at", "updated_at", "updated_by_id")}),
        event=insert(BoardEvent.__table__),
    )


@dataclass(frozen=True)
class Move:
    """What a move did: the card's title and where it went (0-based position)."""

    card_id: int
    title: str
    source: Column
    column: Column
    position: int


def move_card(card: BoardCard, *, column: Column, position: int | None = None, by, now: datetime) -> BoardCard:
    """`move_card_on` for a card the session holds, which is brought up to date."""
    move_card_on(card.challenge_id, card.id, column=column, position=position, by=by, now=now)
    return card


def move_card_on(challenge_id: int | None, card_id: int, *, column: Column, position: int | None = None, by,
                 now: datetime) -> Move | None:
    """Put card `card_id` of this board at `position` (0-based; None = last) in `column`, shifting
    the cards after it with two range UPDATEs (no per-card writes), so a move costs the same on
    any board size. None when the card is not on this board. A move does not raise the card's
    version: someone editing its text can still save.

    Dragging cards is the board's most frequent write, so this is Core SQL on the session's
    connection (no unit of work, no card loaded first), five or six short statements; the cards
    of this board that the session holds are brought up to date afterwards, as an ORM update would."""
    if challenge_id is None:
        return None
    column = Column(column)
    statements = _move_statements()
    connection = db.session.connection()
    keys = {"the_card": card_id, "the_board": challenge_id}
    _lock_board(challenge_id, now=now)
    # Where the card is now (after any move that went first), and how many others the target holds.
    found = connection.execute(statements.where_and_room, {**keys, "target": column.value}).first()
    if found is None:
        return None
    source_key, old, title, done_at, others = found
    source = Column(source_key)
    index = others if position is None else max(0, min(position, others))

    def shift(delta: int, in_column: Column, low: int, high: int = MAX_POSITION) -> None:
        connection.execute(statements.shift, {**keys, "shift_column": in_column.value, "low": low, "high": high,
                                              "delta": delta})

    if source != column:
        shift(-1, source, old + 1)
        shift(+1, column, index)
    elif index < old:
        shift(+1, column, index, old - 1)
    elif index > old:
        shift(-1, column, old + 1, index)
    if column == Column.DONE and source != Column.DONE:
        done_at = now
    elif column != Column.DONE:
        done_at = None
    placed = {"column_key": column.value, "position": index, "done_at": done_at, "updated_at": now,
              "updated_by_id": by.id}
    connection.execute(statements.place, {**keys, **placed})
    connection.execute(statements.event, {
        "challenge_id": challenge_id, "actor_id": by.id, "at": now, "kind": EventKind.CARD_MOVED.value,
        "card_id": card_id,
        "detail": {"title": title, "source": source.value, "target": column.value, "position": index + 1}})
    _forget_positions(challenge_id)
    held = db.session.identity_map.get(db.session.identity_key(BoardCard, card_id))
    if held is not None:
        for name, value in placed.items():
            set_committed_value(held, name, value)
    return Move(card_id=card_id, title=title, source=source, column=column, position=index)


def _forget_positions(challenge_id: int) -> None:
    """After Core writes: the session's copies of this board's cards and challenge reload their
    positions and version when next read."""
    for instance in list(db.session.identity_map.values()):
        if isinstance(instance, BoardCard) and instance.challenge_id == challenge_id:
            db.session.expire(instance, ["column_key", "position", "done_at", "updated_at", "updated_by_id"])
        elif isinstance(instance, Challenge) and instance.id == challenge_id:
            db.session.expire(instance, ["board_version", "board_changed_at"])


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
    from flask_babel import gettext as _

    chosen = next((membership for membership in team.memberships if membership.user_id == user_id), None)
    if chosen is None:
        raise BoardError(_("De teamleider moet lid zijn van het team."))
    for membership in team.memberships:
        membership.role = TeamRole.LEADER if membership is chosen else TeamRole.MEMBER
    challenge = ensure_challenge(team, now=now)
    record_event(challenge, EventKind.LEADER_CHOSEN, by=by, now=now, name=chosen.user.name, leader_id=chosen.user_id)
    db.session.flush()
    return chosen


def add_indicator(challenge: Challenge, *, name: str, baseline: Decimal, target: Decimal, unit: str = "",
                  by, now: datetime) -> Indicator:
    indicator = Indicator(challenge_id=challenge.id, name=name.strip(), unit=(unit or "").strip(),
                          baseline=baseline, target=target, created_at=now)
    db.session.add(indicator)
    db.session.flush()
    record_event(challenge, EventKind.INDICATOR_ADDED, by=by, now=now, name=indicator.name)
    db.session.flush()
    return indicator


def record_indicator_value(indicator: Indicator, *, measured_on: date, value: Decimal, by,
                           now: datetime) -> IndicatorValue:
    row = IndicatorValue(indicator_id=indicator.id, measured_on=measured_on, value=value,
                         recorded_by_id=by.id, recorded_at=now)
    db.session.add(row)
    record_event(indicator.challenge, EventKind.INDICATOR_VALUE, by=by, now=now, name=indicator.name,
                 value=str(value), measured_on=measured_on.isoformat())
    db.session.flush()
    return row


def add_progress_update(challenge: Challenge, *, status: Status, went_well: str = "", stuck: str = "",
                        help_needed: str = "", hours_spent: int | None = None, by,
                        now: datetime, submission: str | None = None) -> ProgressUpdate:
    """A weekly update; a repeat of the same form render (`submission`) returns the first one.
    The board's lock orders two submits of one team, so the repeat sees the first one's claim."""
    _lock_board(challenge.id)
    earlier = submissions.claim(submission, "progress_update", now=now)
    if earlier is not None and earlier.result_id:
        stored = db.session.get(ProgressUpdate, earlier.result_id)
        if stored is not None and stored.challenge_id == challenge.id:
            return stored
    progress = ProgressUpdate(challenge_id=challenge.id, author_id=by.id, created_at=now, status=Status(status),
                              went_well=(went_well or "").strip(), stuck=(stuck or "").strip(),
                              help_needed=(help_needed or "").strip(), hours_spent=hours_spent)
    db.session.add(progress)
    record_event(challenge, EventKind.PROGRESS_UPDATE, by=by, now=now, status=progress.status)
    db.session.flush()
    submissions.record_result(submission, "progress_update", progress.id)
    return progress


# --- Progress: updates, hours and the picture ---------------------------------------------------

def progress_updates(challenge: Challenge | None) -> list[ProgressUpdate]:
    if challenge is None:
        return []
    return list(db.session.scalars(
        select(ProgressUpdate).options(joinedload(ProgressUpdate.author).lazyload(User.role_rows))
        .where(ProgressUpdate.challenge_id == challenge.id)
        .order_by(ProgressUpdate.created_at.desc(), ProgressUpdate.id.desc())
    ))


@dataclass
class Hours:
    committed: int | None
    used: int
    by_organisation: list[tuple[str, int]]

    @property
    def percentage(self) -> int | None:
        if not self.committed:
            return None
        return round(100 * self.used / self.committed)


def hours_summary(challenge: Challenge | None, updates: list[ProgressUpdate]) -> Hours:
    """Hours committed for the challenge against the hours the updates report, per organisation,
    so managers see the time their organisation committed against the time used."""
    from flask_babel import gettext as _

    per_organisation: dict[str, int] = defaultdict(int)
    for progress in updates:
        if progress.hours_spent:
            author = progress.author
            name = author.organisation.name if author and author.organisation else _("onbekende organisatie")
            per_organisation[name] += progress.hours_spent
    return Hours(committed=challenge.hours_committed if challenge else None,
                 used=sum(per_organisation.values()), by_organisation=sorted(per_organisation.items()))


@dataclass
class Series:
    """One line of the progress picture: points (day, value) with an optional target."""

    name: str
    points: list[tuple[int, float]]
    target: float | None = None
    baseline: float | None = None
    unit: str = ""
    # A running count repeats itself day after day: the table shows only the days it changed.
    only_changes: bool = False

    @property
    def table_rows(self) -> list[tuple[int, float]]:
        if not self.only_changes:
            return self.points
        return [(day, value) for index, (day, value) in enumerate(self.points)
                if index in (0, len(self.points) - 1) or value != self.points[index - 1][1]]

    @property
    def chart(self) -> LineChart:
        return line_chart(self.points, target=self.target, baseline=self.baseline)


def cards_done_series(challenge: Challenge, cards: list[BoardCard], *, today: date) -> Series:
    """Cards done by the end of each day since day 1, up to today (or day 100)."""
    from flask_babel import gettext as _

    series = Series(name=_("Kaarten klaar"), points=[], target=float(len(cards)) if cards else None,
                    only_changes=True)
    if challenge.starts_on is None:
        return series
    done_days = sorted(challenge.day_on(local(card.done_at).date()) or 1 for card in cards if card.done_at)
    last_day = min(max(challenge.day_on(today) or 0, done_days[-1] if done_days else 0), CHALLENGE_DAYS)
    count = 0
    cursor = 0
    for day in range(1, last_day + 1):
        while cursor < len(done_days) and done_days[cursor] <= day:
            count += 1
            cursor += 1
        series.points.append((day, float(count)))
    return series


@dataclass
class ProgressPicture:
    cards_done: Series | None
    indicators: list[Series]


def progress_picture(challenge: Challenge | None, cards: list[BoardCard], *, today: date) -> ProgressPicture:
    if challenge is None:
        return ProgressPicture(None, [])
    return ProgressPicture(cards_done_series(challenge, cards, today=today), indicator_series(challenge))


def indicator_series(challenge: Challenge) -> list[Series]:
    series = []
    for indicator in challenge.indicators:
        points = []
        for row in indicator.values:
            day = challenge.day_on(row.measured_on) if challenge.starts_on else None
            points.append((day if day is not None else 0, float(row.value)))
        series.append(Series(name=indicator.name, points=points, target=float(indicator.target),
                             baseline=float(indicator.baseline), unit=indicator.unit))
    return series


# --- The overview of all teams -------------------------------------------------------------------

@dataclass
class TeamOverview:
    team: Team
    day: int | None
    latest: ProgressUpdate | None


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
    challenge_ids = [team.challenge.id for team in teams if team.challenge is not None]
    latest: dict[int, ProgressUpdate] = {}
    if challenge_ids:
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
    teams_page.items = [TeamOverview(team, team.challenge.day_on(today) if team.challenge else None,
                                     latest.get(team.challenge.id) if team.challenge else None) for team in teams]
    return teams_page
