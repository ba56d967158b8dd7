"""The board page runs at most 5 SQL queries and a fragment at most 3, the same for 5 and for 500
cards and events: nothing is loaded per card. Counted over the whole request, login included.
The rendered columns and feed are kept per board version, so a second look at an unchanged board
loads neither cards nor events."""

import pytest
from flask import g
from sqlalchemy import event, select

from fieldlab.boards.models import BoardCard, BoardEvent, Challenge, Column, EventKind
from fieldlab.extensions import db


class QueryCounter:
    def __init__(self, engine):
        self.engine = engine
        self.statements: list[str] = []

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._count)

    def _count(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append(statement)

    @property
    def count(self) -> int:
        return len(self.statements)


def fill(world, cards: int):
    """Cards in all columns and as many events, written in bulk (the services are tested elsewhere)."""
    columns = list(Column)
    db.session.add_all([
        BoardCard(challenge_id=world.challenge.id, title=f"Actie {number}", owner_id=world.member.id,
                  column_key=columns[number % 4], position=number, due_day=number % 100 + 1,
                  labels=["label"], done_at=world.now if number % 4 == 3 else None)
        for number in range(cards)
    ])
    db.session.add_all([
        BoardEvent(challenge_id=world.challenge.id, actor_id=world.teammate.id, at=world.now, kind=EventKind.CARD_ADDED,
                   detail={"title": f"Actie {number}"})
        for number in range(cards)
    ])
    world.challenge.board_version = Challenge.board_version + 1
    db.session.commit()


def counted(client, url, headers=None, data=None):
    """Queries of one request as in production: the tests share one app context (and `g`) across
    requests, so forget the user Flask-Login cached there and let its loader run as it would.
    A POST when `data` is given."""
    db.session.expire_all()
    g.pop("_login_user", None)
    with QueryCounter(db.engine) as counter:
        if data is None:
            response = client.get(url, headers=headers or {})
        else:
            response = client.post(url, data=data, headers=headers or {})
    assert response.status_code in (200, 204), response.status_code
    return counter.count, counter.statements


@pytest.mark.parametrize("viewer", ["member", "manager", "commissioner", "facilitator"])
def test_page_and_fragments_use_the_same_few_queries_for_5_and_500_cards(client, auth, world, viewer):
    auth.login(getattr(world, viewer))
    team = world.team.id
    counts = {}
    for size in (5, 500):
        fill(world, size - len(counts) * 5)
        version = db.session.scalar(select(Challenge.board_version).where(Challenge.team_id == team))
        counts[size] = {
            "page": counted(client, f"/teams/{team}/bord")[0],
            # The same version again: columns and feed come from the fragment store, unloaded.
            "page_again": counted(client, f"/teams/{team}/bord")[0],
            "refresh_changed": counted(client, f"/teams/{team}/bord/ververs?versie=0", {"HX-Request": "true"})[0],
            "refresh_unchanged": counted(client, f"/teams/{team}/bord/ververs?versie={version}",
                                         {"HX-Request": "true"})[0],
            "activity": counted(client, f"/teams/{team}/bord/activiteit", {"HX-Request": "true"})[0],
        }
    assert counts[5] == counts[500], counts
    assert counts[5]["page"] <= 5, counts
    assert counts[5]["refresh_changed"] <= 3 and counts[5]["activity"] <= 3, counts
    assert counts[5]["page_again"] <= 3, counts
    # Unchanged: one indexed query that checks the session, the right to read and the version;
    # the user is not even loaded.
    assert counts[5]["refresh_unchanged"] == 1, counts


STATEMENTS_WITH_THE_COLUMNS_KEPT = {"bord": 2, "challenge": 5, "voortgang": 5}


@pytest.mark.parametrize("path", sorted(STATEMENTS_WITH_THE_COLUMNS_KEPT))
def test_the_header_names_the_lab_from_the_boards_one_query(client, auth, world, path):
    """The Lab is a name in the header, read as a column of the board's query: no Lab object is
    loaded, and none is asked for afterwards (which would be a statement more)."""
    auth.login(world.member)
    url = f"/teams/{world.team.id}/{path}"
    client.get(url)  # the columns and the feed are now kept: the second look loads neither
    count, statements = counted(client, url)
    html = client.get(url).get_data(as_text=True)
    assert '<p class="board-header__lab muted">Field Lab Mensenhandel</p>' in html
    assert not [statement for statement in statements if statement.lstrip().startswith("SELECT lab.")], statements
    assert count == STATEMENTS_WITH_THE_COLUMNS_KEPT[path], statements


def counted_move(client, world, card_id: int, column: str, position: int) -> list[str]:
    url = f"/teams/{world.team.id}/bord/kaarten/{card_id}/verplaatsen"
    return counted(client, url, {"HX-Request": "true"}, data={"column": column, "position": str(position)})[1]


def test_a_card_move_runs_the_same_six_statements_on_5_and_500_cards(client, auth, world):
    """A drag (`boards.shortcuts`): the live session and membership in one, lock, where the card
    is, one range shift (to another column too: both columns in one UPDATE), the card itself, the
    feed's event. Nothing per card; the user is not even loaded."""
    auth.login(world.member)
    counts = {}
    for size in (5, 500):
        fill(world, size - len(counts) * 5)
        card = db.session.scalars(select(BoardCard).where(BoardCard.challenge_id == world.challenge.id,
                                                          BoardCard.column_key == Column.PLANNED)
                                  .order_by(BoardCard.position)).first()
        # Positions as the form has them: 1 is the top.
        across = counted_move(client, world, card.id, Column.DOING.value, 1)
        within = counted_move(client, world, card.id, Column.DOING.value, 2)
        back = counted_move(client, world, card.id, Column.PLANNED.value, 1)
        counts[size] = (len(across), len(within), len(back))
        shifts = [statement for statement in across if "CASE WHEN" in statement]
        assert len(shifts) == 1 and shifts[0].lstrip().startswith("UPDATE board_card"), across
    assert counts[5] == counts[500] == (6, 6, 6), counts
