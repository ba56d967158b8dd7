"""The board's refresh: whether an open board changed (`board_state`, `board_unchanged`), the
columns fragment the page and the refresh both render (`ColumnsView`, keyed by the board's version),
and what the board page is kept under (`board_page`).

It stands apart from the board's other reads because it is the hot path: every open board asks
every few seconds, so its statements are built once, run without loading entities (the cheap path
does not even load the user) and decide from the board's version alone whether anything must be
rendered again.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache, cached_property

from babel.dates import parse_pattern
from flask import url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import Engine, Integer, bindparam, select

from fieldlab.auth.models import User
from fieldlab.auth.permissions import TeamRelation
from fieldlab.auth.services import SessionLogin, live_session_clause
from fieldlab.boards.models import BoardCard, Challenge, Column
from fieldlab.boards.services import Board, latest_status_column, load_cards_of
from fieldlab.driver_sql import DriverStatement
from fieldlab.extensions import db
from fieldlab.labs.models import Lab
from fieldlab.teams.models import Team
from fieldlab.teams.visibility import board_readers_clause, team_relation_columns

_CARD_ID_SLOT = 987654321  # a card id no board has, replaced in card_url()


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
    return None if row is None else BoardState(*_state_values(row))


def _state_values(row) -> tuple[TeamRelation, int | None, int, datetime | None, date | None]:
    """`BoardState`'s fields from the first columns of `_state_statement` (and of the page's)."""
    challenge_id, version, changed_at, starts_on, member, manager, commissioner, lab_participant, boards_open = row[:9]
    relation = TeamRelation(None, bool(member), bool(manager), bool(commissioner), bool(lab_participant),
                            bool(boards_open))
    return relation, challenge_id, version or 0, changed_at, starts_on


@dataclass
class BoardPage(BoardState):
    """What the board page shows besides the cards and the feed: the header's names and traffic
    light. With the version it is everything the page's content depends on (`content_key`)."""

    team_name: str
    lab_name: str
    latest_status: str | None

    def content_key(self, team_id: int, *, editable: bool, today: date, language: str) -> tuple:
        """The page's content (header, columns, feed) is the same for every reader of the board
        until one of these changes: every change on the board raises its version, a renamed team
        or Lab and a new traffic light change the names and status, a new day the day number."""
        return ("board-page", team_id, self.challenge_id, self.version, self.changed_at, self.starts_on,
                self.team_name, self.lab_name, self.latest_status, editable, today, language)


@cache
def _page_statement():
    """`_state_statement` with the header's names and the latest traffic light."""
    return (_state_statement().add_columns(Team.name, Lab.name, latest_status_column())
            .join(Lab, Lab.id == Team.lab_id))


def board_page(user, team_id: int) -> BoardPage | None:
    """`board_state` with the header's names and status: one indexed query, no entities. The board
    page asks this first and loads the board itself only when its content is not kept yet."""
    row = db.session.connection().execute(_page_statement(), {"viewer_id": user.id, "team_id": team_id}).first()
    if row is None:
        return None
    team_name, lab_name, latest_status = row[9:]
    return BoardPage(*_state_values(row), team_name, lab_name, latest_status)


@cache
def _unchanged_statement(two_factor_roles: tuple[str, ...]) -> DriverStatement:
    """On the driver's cursor (`fieldlab.driver_sql`): through `Connection.execute`, SQLAlchemy's
    work per execution of this statement cost three times the query."""
    viewer = bindparam("viewer_id", type_=Integer)
    return DriverStatement(
        select(Challenge.id)
        .select_from(Team).join(Challenge, Challenge.team_id == Team.id).join(User, User.id == viewer)
        .where(Team.id == bindparam("team_id", type_=Integer),
               Challenge.board_version == bindparam("version", type_=Integer),
               live_session_clause(viewer, bindparam("session_token"), two_factor_roles),
               board_readers_clause(viewer))
    )


def board_unchanged(engine: Engine, login: SessionLogin, team_id: int, version: int, *,
                    two_factor_roles: tuple[str, ...]) -> bool:
    """The refresh's cheap path, one indexed query without loading the user: the board is still
    at `version`, the session (`auth.services.SessionLogin`) is live and may read the board.
    False for any doubt, after which the caller takes the normal path that loads and checks
    everything. On a connection of `engine`'s own, not the ORM session's: nothing here is an
    entity, and the caller (`shortcuts`) answers before Flask has a request or a session."""
    parameters = {"viewer_id": login.user_id, "session_token": login.session_token, "team_id": team_id,
                  "version": version}
    with engine.connect() as connection:
        return _unchanged_statement(tuple(two_factor_roles)).exists(connection, parameters)


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
        return {"due": _("klaar op dag %(day)s"), "labels": _("Labels"), "quick_win": _("quick win"),
                "edit": _("Bewerken"), "edit_named": _("Bewerken: %(title)s"), "move": _("Verplaatsen"),
                "move_named": _("Verplaatsen: %(title)s"), "move_to": _("Verplaats naar"),
                "position": _("Positie"), "position_hint": _("(leeg is onderaan)")}

    @cached_property
    def column_options(self) -> list[tuple[str, str]]:
        return [(column.value, column.label) for column in Column]

    @cached_property
    def _url_templates(self) -> dict[str, str]:
        return {kind: url_for(endpoint, team_id=self.team_id, card_id=_CARD_ID_SLOT)
                for kind, endpoint in (("edit", "boards.edit_card"), ("move", "boards.move_card"),
                                       ("move_form", "boards.move_card_form"))}

    def card_url(self, kind: str, card_id: int) -> str:
        return self._url_templates[kind].replace(str(_CARD_ID_SLOT), str(card_id))

    @cached_property
    def _due_date_format(self):
        """babel's format_date(…, "d MMM") with the pattern parsed once per fragment, not per card."""
        pattern, locale = parse_pattern("d MMM"), get_locale()
        return lambda day: pattern.apply(day, locale)

    def due_date_label(self, day: int | None) -> str:
        """'1 nov' for a due day, or '' without a start date."""
        if day is None or self.starts_on is None:
            return ""
        return self._due_date_format(self.starts_on + timedelta(days=day - 1))
