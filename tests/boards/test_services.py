"""The board's rules, tested on the services directly."""

import random
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from fieldlab.boards import card_changes, services, tracking
from fieldlab.boards.models import BoardCard, BoardEvent, Column, EventKind, Status
from fieldlab.extensions import db
from fieldlab.teams.models import TeamRole
from tests.boards.conftest import add_cards


def positions(world, column):
    return [card.title for card in db.session.scalars(
        select(BoardCard).where(BoardCard.challenge_id == world.challenge.id, BoardCard.column_key == column)
        .order_by(BoardCard.position))]


def test_new_cards_go_to_the_bottom_of_gepland_and_raise_the_board_version(world):
    before = world.challenge.board_version
    add_cards(world, 3)
    db.session.refresh(world.challenge)
    assert positions(world, Column.PLANNED) == ["Actie 0", "Actie 1", "Actie 2"]
    assert world.challenge.board_version == before + 3


def test_card_owner_must_be_a_team_member(world, now):
    with pytest.raises(services.BoardError, match="lid zijn van het team"):
        card_changes.add_card(world.challenge, title="X", owner_id=world.stranger.id, by=world.member, now=now)


def test_quick_win_must_be_due_in_the_first_fifteen_days(world, now):
    with pytest.raises(services.BoardError, match="eerste 15 dagen"):
        card_changes.add_card(world.challenge, title="X", owner_id=world.member.id, due_day=20, quick_win=True,
                          by=world.member, now=now)
    card = card_changes.add_card(world.challenge, title="Snel resultaat", owner_id=world.member.id, due_day=15,
                             quick_win=True, by=world.member, now=now)
    assert card.quick_win


def test_moving_a_card_to_another_column_closes_the_gap_and_inserts_at_the_position(world, now):
    cards = add_cards(world, 4)
    card_changes.move_card(cards[3], column=Column.DOING, by=world.member, now=now)
    card_changes.move_card(cards[1], column=Column.DOING, position=0, by=world.member, now=now)
    assert positions(world, Column.PLANNED) == ["Actie 0", "Actie 2"]
    assert positions(world, Column.DOING) == ["Actie 1", "Actie 3"]
    assert [card.position for card in db.session.scalars(
        select(BoardCard).where(BoardCard.column_key == Column.PLANNED).order_by(BoardCard.position))] == [0, 1]


def test_reordering_within_a_column(world, now):
    cards = add_cards(world, 3)
    card_changes.move_card(cards[2], column=Column.PLANNED, position=0, by=world.member, now=now)
    assert positions(world, Column.PLANNED) == ["Actie 2", "Actie 0", "Actie 1"]


def test_any_sequence_of_moves_keeps_every_column_in_the_order_a_list_would(world, now):
    """Across columns, up and down within one, to the same place, past the end and to the end
    (None): after each move every column holds what a plain list model holds, at positions
    0, 1, 2, … without gaps; only the moved card is stamped."""
    cards = add_cards(world, 9)
    model = {column: [] for column in Column}
    model[Column.PLANNED] = [card.id for card in cards]
    rng = random.Random(16)
    for step in range(60):
        card = rng.choice(cards)
        target = rng.choice(list(Column))
        source = next(column for column, ids in model.items() if card.id in ids)
        model[source].remove(card.id)
        position = rng.choice([None, 0, 1, 2, 5, 40])
        index = len(model[target]) if position is None else min(position, len(model[target]))
        model[target].insert(index, card.id)
        moment = now + timedelta(minutes=step + 1)
        card_changes.move_card(card, column=target, position=position, by=world.teammate, now=moment)
        rows = db.session.execute(select(BoardCard.id, BoardCard.column_key, BoardCard.position,
                                         BoardCard.updated_at, BoardCard.updated_by_id)
                                  .where(BoardCard.challenge_id == world.challenge.id)).all()
        for column in Column:
            in_column = sorted((row.position, row.id) for row in rows if row.column_key == column)
            assert in_column == list(enumerate(model[column])), (step, column)
        stamped = {row.id for row in rows if row.updated_at == moment}
        assert stamped == {card.id} and card.updated_by_id == world.teammate.id, step


def test_moving_to_klaar_stamps_done_and_moving_back_clears_it(world, now):
    card = add_cards(world, 1)[0]
    card_changes.move_card(card, column=Column.DONE, by=world.member, now=now)
    assert card.done_at == now
    card_changes.move_card(card, column=Column.BLOCKED, by=world.member, now=now)
    assert card.done_at is None


def test_a_move_does_not_raise_the_card_version_so_an_open_edit_still_saves(world, now):
    card = add_cards(world, 1)[0]
    card_changes.move_card(card, column=Column.DOING, by=world.teammate, now=now)
    card_changes.edit_card(card, expected_version=1, title="Nieuwe titel", owner_id=world.member.id, by=world.member,
                       now=now)
    assert card.version == 2 and card.column == Column.DOING


def test_second_edit_based_on_the_same_version_is_refused_with_the_first_persons_version(world, now):
    card = add_cards(world, 1)[0]
    card_changes.edit_card(card, expected_version=1, title="Versie van Anna", owner_id=world.member.id,
                       by=world.member, now=now)
    db.session.commit()
    with pytest.raises(services.StaleCardError) as refused:
        card_changes.edit_card(card, expected_version=1, title="Versie van Bram", owner_id=world.teammate.id,
                           by=world.teammate, now=now)
    assert refused.value.current.title == "Versie van Anna"
    assert refused.value.current.version == 2
    db.session.rollback()
    assert db.session.get(BoardCard, card.id).title == "Versie van Anna"


def test_every_change_is_in_the_activity_feed_newest_first(world, now):
    card = add_cards(world, 1)[0]
    card_changes.move_card(card, column=Column.DONE, by=world.teammate, now=now + timedelta(minutes=1))
    board = services.load_board(world.member, world.team.id)
    events = services.load_events_of(board.challenge.id)
    assert [(event.kind, event.actor.name) for event in events] == [
        (EventKind.CARD_MOVED, "Bram Teamgenoot"), (EventKind.CARD_ADDED, "Anna Teamlid")]
    assert events[0].detail["target"] == "done"


def test_set_start_date_returns_the_previous_date_and_moves_day_50_and_100(world, now):
    previous = world.challenge.starts_on
    assert services.set_start_date(world.challenge, date(2025, 4, 1), by=world.member, now=now) == previous
    assert world.challenge.date_of_day(50) == date(2025, 5, 20)
    assert world.challenge.date_of_day(100) == date(2025, 7, 9)
    assert db.session.scalar(select(BoardEvent.kind).order_by(BoardEvent.id.desc())) == EventKind.START_DATE_SET


def test_the_team_chooses_one_leader(world, now):
    services.choose_team_leader(world.team, world.teammate.id, by=world.member, now=now)
    roles = {membership.user_id: membership.role for membership in world.team.memberships}
    assert roles == {world.member.id: TeamRole.MEMBER, world.teammate.id: TeamRole.LEADER}
    with pytest.raises(services.BoardError):
        services.choose_team_leader(world.team, world.stranger.id, by=world.member, now=now)


def test_indicator_values_show_in_the_progress_picture_by_challenge_day(world, now):
    indicator = tracking.add_indicator(world.challenge, name="Gecontroleerde panden", baseline=Decimal(0),
                                       target=Decimal(40), by=world.member, now=now)
    tracking.record_indicator_value(indicator, measured_on=world.challenge.starts_on + timedelta(days=9),
                                    value=Decimal(12), by=world.member, now=now)
    db.session.expire(world.challenge)
    series = tracking.indicator_series(world.challenge)
    assert series[0].points == [(10, 12.0)]
    assert series[0].target == 40.0


def test_cards_done_series_counts_per_day_up_to_today(world, now, today):
    cards = add_cards(world, 3)
    card_changes.move_card(cards[0], column=Column.DONE, by=world.member, now=now - timedelta(days=6))
    card_changes.move_card(cards[1], column=Column.DONE, by=world.member, now=now)
    series = tracking.cards_done_series(world.challenge, cards, today=today)
    assert len(series.points) == 37
    assert series.points[29] == (30, 0.0) and series.points[30] == (31, 1.0) and series.points[36] == (37, 2.0)
    assert series.target == 3.0
    assert series.table_rows == [(1, 0.0), (31, 1.0), (37, 2.0)]


def test_hours_are_summed_per_organisation_against_the_hours_committed(world, now):
    world.challenge.hours_committed = 200
    tracking.add_progress_update(world.challenge, status=Status.AT_RISK, hours_spent=30, by=world.member, now=now)
    tracking.add_progress_update(world.challenge, status=Status.ON_TRACK, hours_spent=20, by=world.member,
                                 now=now + timedelta(days=7))
    updates = tracking.progress_updates(world.challenge)
    hours = tracking.hours_summary(world.challenge, updates)
    assert (hours.committed, hours.used, hours.percentage) == (200, 50, 25)
    assert hours.by_organisation == [(world.member.organisation.name, 50)]
    assert updates[0].status == Status.ON_TRACK


def test_overview_shows_each_visible_team_with_its_latest_update(world, now, today):
    tracking.add_progress_update(world.challenge, status=Status.AT_RISK, stuck="Geen data", by=world.member,
                                 now=now)
    tracking.add_progress_update(world.challenge, status=Status.BEHIND, stuck="Nog steeds geen data",
                                 by=world.member, now=now + timedelta(days=7))
    db.session.commit()
    rows = services.overview(world.commissioner, today=today)
    assert [(row.team.name, row.latest.status, row.day) for row in rows] == [("Team Kompas", "behind", 37)]
    assert [row.team.name for row in services.overview(world.facilitator, today=today)] == \
        ["Team Baken", "Team Kompas"]
    assert services.overview(world.stranger, today=today).items == []
