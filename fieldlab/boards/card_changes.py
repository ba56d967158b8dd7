"""Cards: adding, editing (with optimistic locking) and moving them between and within columns.

It stands alone because a card's position is the board's most contested state: every change here
takes the board's lock first (`services.lock_board`, board row before card row, so no lock cycles),
an edit only saves over the version its form was opened on, and a move is a handful of Core
statements that shift the other cards by range instead of writing them one by one.
"""

from dataclasses import dataclass
from datetime import datetime
from functools import cache

from flask_babel import gettext as _
from sqlalchemy import Integer, and_, bindparam, case, func, insert, or_, select, update
from sqlalchemy.orm.attributes import set_committed_value

from fieldlab import submissions
from fieldlab.auth.models import User
from fieldlab.auth.services import SessionLogin, live_session_clause
from fieldlab.boards.models import CHALLENGE_DAYS, QUICK_WIN_DAYS, BoardCard, BoardEvent, Challenge, Column, EventKind
from fieldlab.boards.services import BoardError, StaleCardError, lock_board, record_event
from fieldlab.extensions import db
from fieldlab.teams.models import Membership, Team

MAX_POSITION = 2**31 - 1


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
    lock_board(challenge.id)
    earlier = submissions.earlier_result(submission, "board_card", BoardCard, now=now,
                                         belongs=lambda card: card.challenge_id == challenge.id)
    if earlier is not None:
        return earlier
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
    lock_board(card.challenge_id)  # board row before card row, in every change: no lock cycles
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
    shift_across: object
    place: object
    event: object


@cache
def _move_statements() -> _MoveStatements:
    cards = BoardCard.__table__
    # Bind names differ from column names: in an UPDATE, a bind named like a column means its new value.
    card_id, challenge_id = bindparam("the_card", type_=Integer), bindparam("the_board", type_=Integer)
    from_column, to_column = bindparam("from_column"), bindparam("to_column")
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
        # A move to another column in one statement (the most frequent drag): the cards after the
        # card in its old column move up one place, those from its new place in the target down one.
        shift_across=update(cards).where(
            cards.c.challenge_id == challenge_id, cards.c.id != card_id,
            or_(and_(cards.c.column_key == from_column, cards.c.position >= bindparam("from_low", type_=Integer)),
                and_(cards.c.column_key == to_column, cards.c.position >= bindparam("to_low", type_=Integer))),
        ).values(position=cards.c.position + case((cards.c.column_key == from_column, -1), else_=1)),
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
    the cards after it with one range UPDATE (no per-card writes), so a move costs the same on any
    board size. None when the card is not on this board. A move does not raise the card's
    version: someone editing its text can still save.

    Dragging cards is the board's most frequent write, so this is Core SQL on the session's
    connection (no unit of work, no card loaded first), five short statements; the cards
    of this board that the session holds are brought up to date afterwards, as an ORM update would."""
    if challenge_id is None:
        return None
    column = Column(column)
    statements = _move_statements()
    connection = db.session.connection()
    keys = {"the_card": card_id, "the_board": challenge_id}
    lock_board(challenge_id, now=now)
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
        connection.execute(statements.shift_across, {**keys, "from_column": source.value, "from_low": old + 1,
                                                     "to_column": column.value, "to_low": index})
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


@cache
def _member_board_statement(two_factor_roles: tuple[str, ...]):
    viewer = bindparam("viewer_id", type_=Integer)
    return (select(Challenge.id)
            .select_from(Team).join(Challenge, Challenge.team_id == Team.id).join(User, User.id == viewer)
            .join(Membership, and_(Membership.team_id == Team.id, Membership.user_id == viewer))
            .where(Team.id == bindparam("team_id", type_=Integer),
                   live_session_clause(viewer, bindparam("session_token"), two_factor_roles)))


def member_board(login: SessionLogin, team_id: int, *, two_factor_roles) -> int | None:
    """The team's board (its challenge's id) when the session (`auth.services.SessionLogin`) is
    live and its user is a member of the team: `board.edit`, which is membership alone
    (`auth.permissions`), in one indexed query without loading the user. For a card dragged on
    the board (`boards.shortcuts`); None for any doubt, after which the app decides."""
    return db.session.connection().execute(_member_board_statement(tuple(two_factor_roles)), {
        "viewer_id": login.user_id, "session_token": login.session_token, "team_id": team_id}).scalar()


@dataclass(frozen=True)
class Mover:
    """Who moved a card, where only their id is known (`member_board` checked the rest)."""

    id: int


def _forget_positions(challenge_id: int) -> None:
    """After Core writes: the session's copies of this board's cards and challenge reload their
    positions and version when next read."""
    for instance in list(db.session.identity_map.values()):
        if isinstance(instance, BoardCard) and instance.challenge_id == challenge_id:
            db.session.expire(instance, ["column_key", "position", "done_at", "updated_at", "updated_by_id"])
        elif isinstance(instance, Challenge) and instance.id == challenge_id:
            db.session.expire(instance, ["board_version", "board_changed_at"])
