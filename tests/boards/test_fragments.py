"""Rendered fragments kept per board version (fieldlab/fragments.py): the store itself, and the board
page that takes its columns and feed from it without ever showing something stale, something in
the wrong language, or edit links to a reader."""

import re
import threading
from datetime import timedelta

import pytest
from flask import g
from markupsafe import Markup
from sqlalchemy import select

from fieldlab import fragments
from fieldlab.boards import card_changes, routes, services
from fieldlab.boards.models import BoardCard, BoardEvent, Challenge, Column, EventKind, ProgressUpdate, Status
from fieldlab.extensions import db
from fieldlab.fragments import FragmentCache
from fieldlab.privacy.erasure import anonymise
from tests.boards.conftest import add_cards
from tests.boards.test_query_counts import QueryCounter

HX = {"HX-Request": "true"}


class Renderer:
    """A render function that counts its calls."""

    def __init__(self, html="<p>kaart</p>"):
        self.html = html
        self.calls = 0
        self.lock = threading.Lock()

    def __call__(self):
        with self.lock:
            self.calls += 1
        return self.html


# --- The store -----------------------------------------------------------------------------------

def test_returns_the_rendered_html_as_markup_so_it_is_not_escaped_again():
    store = FragmentCache(10)
    html = store.get_or_render("k", Renderer("<b>Actie & plan</b>"))
    assert html == "<b>Actie & plan</b>"
    assert isinstance(html, Markup)
    assert str(Markup("{}").format(html)) == "<b>Actie & plan</b>"


def test_renders_once_per_key_and_counts_hits_and_misses():
    store = FragmentCache(10)
    first, second = Renderer("een"), Renderer("twee")
    assert [store.get_or_render(("bord", 1), first) for _ in range(3)] == ["een"] * 3
    assert store.get_or_render(("bord", 2), second) == "twee"
    assert store.get_or_render(("bord", 1), second) == "een"  # the key decides, not the function
    assert (first.calls, second.calls) == (1, 1)
    assert (store.hits, store.misses, len(store)) == (3, 2, 2)


def test_an_empty_fragment_is_kept_too():
    store = FragmentCache(10)
    empty = Renderer("")
    store.get_or_render("leeg", empty)
    store.get_or_render("leeg", empty)
    assert empty.calls == 1


def test_evicts_the_least_recently_used_beyond_max_entries():
    store = FragmentCache(2)
    renders = {key: Renderer(key) for key in "abc"}
    store.get_or_render("a", renders["a"])
    store.get_or_render("b", renders["b"])
    store.get_or_render("a", renders["a"])  # a is now the most recently used
    store.get_or_render("c", renders["c"])  # b goes
    assert len(store) == 2
    store.get_or_render("a", renders["a"])
    store.get_or_render("c", renders["c"])
    assert (renders["a"].calls, renders["c"].calls) == (1, 1)
    store.get_or_render("b", renders["b"])  # rendered again; now a goes
    assert renders["b"].calls == 2
    store.get_or_render("a", renders["a"])
    assert renders["a"].calls == 2
    assert len(store) == 2


@pytest.mark.parametrize("max_entries", [0, -1])
def test_zero_entries_renders_every_time_and_keeps_nothing(max_entries):
    store = FragmentCache(max_entries)
    render = Renderer()
    for _ in range(3):
        assert store.get_or_render("k", render) == "<p>kaart</p>"
    assert render.calls == 3 and len(store) == 0 and store.hits == 0


def test_a_render_that_fails_keeps_nothing_and_the_next_call_renders_again():
    store = FragmentCache(10)

    def broken():
        raise RuntimeError("template kapot")

    with pytest.raises(RuntimeError):
        store.get_or_render("k", broken)
    assert len(store) == 0
    assert store.get_or_render("k", Renderer("heel")) == "heel"


def test_threads_asking_for_one_key_all_get_the_same_html():
    store = FragmentCache(4)
    render = Renderer("<ol>kolommen</ol>")
    start = threading.Barrier(8)
    results = []

    def ask():
        start.wait()
        for _ in range(50):
            results.append(store.get_or_render(("bord", 7, "nl"), render))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 400 and set(results) == {"<ol>kolommen</ol>"}
    assert 1 <= render.calls <= 8  # at most one render per thread that raced for the first miss
    assert len(store) == 1
    assert store.hits + store.misses == 400


def test_threads_with_many_keys_never_exceed_the_bound():
    store = FragmentCache(5)
    errors = []

    def ask(offset):
        try:
            for number in range(200):
                key = (offset + number) % 17
                assert store.get_or_render(key, lambda key=key: f"<p>{key}</p>") == f"<p>{key}</p>"
        except AssertionError as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=ask, args=(offset,)) for offset in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(store) <= 5


def test_the_app_has_one_store_bounded_by_the_setting(app):
    assert fragments.cache() is app.extensions[fragments.EXTENSION_KEY]
    assert fragments.cache().max_entries == app.config["FRAGMENT_CACHE_ENTRIES"] > 0


# --- Through the board page ------------------------------------------------------------------------

def board_url(world, suffix=""):
    return f"/teams/{world.team.id}/bord{suffix}"


def version_of(world) -> int:
    return db.session.scalar(select(Challenge.board_version).where(Challenge.id == world.challenge.id))


def columns_of(html: str) -> str:
    """The columns fragment out of a board page."""
    match = re.search(r'<div id="board-columns".*?</section>\s*</div>', html, re.S)
    assert match, html[:500]
    return match.group(0)


def column_of(html: str, column: Column) -> str:
    match = re.search(rf'<section class="board-column board-column--{column.value}".*?</section>', html, re.S)
    assert match
    return match.group(0)


def feed_of(html: str) -> str:
    match = re.search(r'<div id="board-activity".*?</div>', html, re.S)
    assert match
    return match.group(0)


def header_of(html: str) -> str:
    match = re.search(r'<div class="board-header">.*?</nav>\s*</div>', html, re.S)
    assert match, html[:500]
    return match.group(0)


def page(client, world) -> str:
    response = client.get(board_url(world))
    assert response.status_code == 200
    return response.get_data(as_text=True)


def page_counted(client, world):
    url = board_url(world)  # before counting: world.team is expired below
    db.session.expire_all()
    g.pop("_login_user", None)
    with QueryCounter(db.engine) as counter:
        response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True), counter.statements


def test_second_view_of_an_unchanged_board_loads_no_cards_and_no_events(member_client, world):
    add_cards(world, 3, by=world.teammate)
    db.session.commit()
    first, first_statements = page_counted(member_client, world)
    store = fragments.cache()
    hits = store.hits
    second, second_statements = page_counted(member_client, world)
    assert store.hits == hits + 1  # the page's content: header, columns and feed as one
    # The signed-in user and the page's facts: not even the team or its challenge is loaded.
    assert len(second_statements) == 2, second_statements
    assert any(BoardCard.__tablename__ in statement for statement in first_statements)
    assert not any(re.search(r"\bboard_card\b|\bboard_event\b", statement) for statement in second_statements), \
        second_statements
    assert columns_of(second) == columns_of(first)
    assert "Actie 2" in columns_of(second) and "voegde ‘Actie 2’ toe" in feed_of(second)


def test_two_members_see_the_same_columns_with_nothing_personal_in_them(app, member_client, world):
    from tests.conftest import Auth

    add_cards(world, 2)
    db.session.commit()
    mine = page(member_client, world)
    other = app.test_client()
    Auth(other).login(world.teammate)
    theirs = page(other, world)
    assert columns_of(mine) == columns_of(theirs)
    assert "csrf" not in columns_of(mine).lower()
    assert world.teammate.email not in columns_of(theirs) and world.member.email not in columns_of(mine)


def test_an_added_card_shows_on_the_next_view(member_client, world, now):
    add_cards(world, 1)
    db.session.commit()
    before = page(member_client, world)
    card_changes.add_card(world.challenge, title="Bel de wethouder", owner_id=world.teammate.id, by=world.teammate,
                      now=now)
    db.session.commit()
    after = page(member_client, world)
    assert "Bel de wethouder" not in before
    assert "Bel de wethouder" in columns_of(after)
    assert "Bram Teamgenoot voegde ‘Bel de wethouder’ toe." in feed_of(after)
    assert f'name="versie" value="{version_of(world)}"' in after


def test_a_moved_card_shows_in_its_new_column_on_the_next_view(member_client, world, now):
    card = add_cards(world, 2)[1]
    db.session.commit()
    before = page(member_client, world)
    assert f'id="board-card-{card.id}"' in column_of(before, Column.PLANNED)
    card_changes.move_card(card, column=Column.BLOCKED, by=world.teammate, now=now)
    db.session.commit()
    after = page(member_client, world)
    assert f'id="board-card-{card.id}"' in column_of(after, Column.BLOCKED)
    assert f'id="board-card-{card.id}"' not in column_of(after, Column.PLANNED)
    assert "verplaatste ‘Actie 1’ naar Geblokkeerd" in feed_of(after)


def test_a_move_through_the_board_and_an_edit_show_on_the_next_view(member_client, world):
    card = add_cards(world, 1)[0]
    db.session.commit()
    page(member_client, world)
    moved = member_client.post(board_url(world, f"/kaarten/{card.id}/verplaatsen"), headers=HX,
                               data={"column": "done", "position": ""})
    assert moved.status_code == 200
    assert f'id="board-card-{card.id}"' in column_of(page(member_client, world), Column.DONE)
    saved = member_client.post(board_url(world, f"/kaarten/{card.id}"), data={
        f"card-{card.id}-title": "Nieuwe titel", f"card-{card.id}-owner": world.member.id,
        f"card-{card.id}-version": card.version})
    assert saved.status_code == 303
    after = page(member_client, world)
    assert "Nieuwe titel" in columns_of(after) and "Actie 0" not in columns_of(after)


def test_a_new_start_date_shows_new_due_dates_on_the_cards(member_client, world, now):
    card_changes.add_card(world.challenge, title="Met datum", owner_id=world.member.id, due_day=10, by=world.member,
                      now=now)
    db.session.commit()
    before = columns_of(page(member_client, world))
    services.set_start_date(world.challenge, world.challenge.starts_on + timedelta(days=31), by=world.member,
                            now=now)
    db.session.commit()
    after = columns_of(page(member_client, world))
    assert "klaar op dag 10" in before and "klaar op dag 10" in after
    assert before != after


def test_dutch_and_english_get_their_own_columns_and_feed(member_client, world):
    add_cards(world, 1)
    db.session.commit()
    dutch = page(member_client, world)
    size = len(fragments.cache())
    switched = member_client.post("/taal", data={"locale": "en", "next": board_url(world)})
    assert switched.status_code == 303
    english = page(member_client, world)
    # A columns, a feed, a header and a page content entry of its own.
    assert len(fragments.cache()) == size + 4
    assert "Gepland" in columns_of(dutch) and ">Bewerken<" in columns_of(dutch)
    assert "Planned" in columns_of(english) and ">Edit<" in columns_of(english)
    assert "Gepland" not in columns_of(english) and "Bewerken" not in columns_of(english)
    assert "voegde" in feed_of(dutch) and "voegde" not in feed_of(english)
    assert ">Bord <" in header_of(dutch) and ">Board <" in header_of(english)
    assert member_client.post("/taal", data={"locale": "nl", "next": board_url(world)}).status_code == 303
    assert columns_of(page(member_client, world)) == columns_of(dutch)


def test_a_user_with_english_as_account_language_gets_english_columns_at_the_same_version(app, member_client, world):
    from tests.conftest import Auth

    add_cards(world, 1)
    world.teammate.locale = "en"
    db.session.commit()
    dutch = page(member_client, world)
    other = app.test_client()
    Auth(other).login(world.teammate)
    english = page(other, world)
    assert "In progress" in columns_of(english) and "Bezig" in columns_of(dutch)


@pytest.mark.parametrize("first", ["member", "manager"])
def test_a_reader_never_gets_edit_links_and_a_member_always_does(app, world, first):
    from tests.conftest import Auth

    card = add_cards(world, 1)[0]
    db.session.commit()
    clients = {}
    for viewer in ("member", "manager"):
        clients[viewer] = app.test_client()
        Auth(clients[viewer]).login(getattr(world, viewer))
    order = [first, "manager" if first == "member" else "member"]
    version = version_of(world)
    seen = {viewer: columns_of(page(clients[viewer], world)) for viewer in order}
    assert version_of(world) == version  # both looked at the same version
    move_form = f"/kaarten/{card.id}/verplaatsen"
    assert "Bewerken" in seen["member"] and move_form in seen["member"] and 'data-editable="true"' in seen["member"]
    assert "Bewerken" not in seen["manager"] and "Verplaatsen" not in seen["manager"]
    assert move_form not in seen["manager"] and "data-editable" not in seen["manager"]
    assert "Actie 0" in seen["manager"]
    # And the refresh from an old version answers each in their own mode.
    for viewer, editable in (("manager", False), ("member", True)):
        fragment = clients[viewer].get(board_url(world, "/ververs?versie=0"), headers=HX).get_data(as_text=True)
        assert ("Bewerken" in fragment) is editable


def test_the_privacy_purge_shows_the_new_name_on_the_next_view(member_client, world, now):
    card_changes.add_card(world.challenge, title="Actie van Bram", owner_id=world.teammate.id, by=world.teammate,
                      now=now)
    db.session.commit()
    before = page(member_client, world)
    old_version = version_of(world)
    assert "Bram Teamgenoot" in columns_of(before) and "Bram Teamgenoot voegde" in feed_of(before)
    new_name = anonymise(world.teammate, now=now)
    db.session.commit()
    assert new_name.split()[-1] != str(world.teammate.id)  # random, not the id (a digit may occur by chance)
    after = page(member_client, world)
    assert version_of(world) > old_version
    assert new_name in columns_of(after) and f"{new_name} voegde ‘Actie van Bram’ toe." in feed_of(after)
    assert "Bram Teamgenoot" not in after
    # An open board notices it at its next refresh.
    refreshed = member_client.get(board_url(world, f"/ververs?versie={old_version}"), headers=HX)
    assert refreshed.status_code == 200 and new_name in refreshed.get_data(as_text=True)


def test_the_privacy_purge_of_someone_who_only_acted_renames_them_in_the_feed(member_client, world, now):
    card = add_cards(world, 1)[0]
    card_changes.move_card(card, column=Column.DOING, by=world.teammate, now=now)  # Bram owns nothing
    db.session.commit()
    assert "Bram Teamgenoot verplaatste" in feed_of(page(member_client, world))
    new_name = anonymise(world.teammate, now=now)
    db.session.commit()
    after = page(member_client, world)
    assert f"{new_name} verplaatste" in feed_of(after) and "Bram Teamgenoot" not in after


@pytest.mark.parametrize("recorded_before_leader_ids", [False, True])
def test_the_privacy_purge_rewrites_the_leaders_name_the_feed_copied(member_client, world, recorded_before_leader_ids, now):
    """'… legde vast dat Bram Teamgenoot teamleider is.' carries the name as text; events written
    before the leader's id was stored with it are matched by that name."""
    services.choose_team_leader(world.team, world.teammate.id, by=world.member, now=now)
    if recorded_before_leader_ids:
        event = db.session.scalar(select(BoardEvent).where(BoardEvent.kind == EventKind.LEADER_CHOSEN))
        event.detail = {"name": "Bram Teamgenoot"}
    db.session.commit()
    assert "Anna Teamlid legde vast dat Bram Teamgenoot teamleider is." in feed_of(page(member_client, world))
    new_name = anonymise(world.teammate, now=now)
    db.session.commit()
    after = page(member_client, world)
    assert f"legde vast dat {new_name} teamleider is." in feed_of(after)
    assert "Bram Teamgenoot" not in after


def test_the_purge_leaves_boards_without_the_person_at_their_version(world, now):
    add_cards(world, 1, by=world.member)
    card_changes.add_card(world.other_team.challenge, title="Baken", owner_id=world.lab_participant.id,
                      by=world.lab_participant, now=now)
    db.session.commit()
    other_version = db.session.scalar(select(Challenge.board_version)
                                      .where(Challenge.id == world.other_team.challenge.id))
    anonymise(world.teammate, now=now)
    db.session.commit()
    assert db.session.scalar(select(Challenge.board_version)
                             .where(Challenge.id == world.other_team.challenge.id)) == other_version


@pytest.mark.parametrize("app_config", [{"FRAGMENT_CACHE_ENTRIES": 0}])
def test_with_the_store_turned_off_the_board_still_shows_every_change(member_client, world, now):
    add_cards(world, 1)
    db.session.commit()
    page(member_client, world)
    card_changes.add_card(world.challenge, title="Zonder opslag", owner_id=world.member.id, by=world.member, now=now)
    db.session.commit()
    assert "Zonder opslag" in columns_of(page(member_client, world))
    assert len(fragments.cache()) == 0 and fragments.cache().hits == 0


def test_the_header_is_kept_and_shows_each_change_of_what_it_shows(app, member_client, world, monkeypatch):
    """The page's content is kept under all its header shows: a renamed team, a new start date,
    another language or the next day (the day number) each write it anew; the same board the same
    day does not."""
    first = header_of(page(member_client, world))
    store = fragments.cache()
    hits = store.hits
    assert header_of(page(member_client, world)) == first and store.hits == hits + 1
    day = re.search(r"dag (\d+) van 100", first)
    assert day, first

    world.team.name = "Team Hernoemd"
    world.challenge.starts_on -= timedelta(days=3)
    db.session.commit()
    renamed = page(member_client, world)
    assert "Team Hernoemd" in header_of(renamed) and f"dag {int(day.group(1)) + 3} van 100" in header_of(renamed)
    assert "<title>Bord · Team Hernoemd · Fieldlab</title>" in renamed

    # A day later, with nothing changed on the board: the next day's number.
    tomorrow = routes.utcnow() + timedelta(days=1)
    monkeypatch.setattr(routes, "utcnow", lambda: tomorrow)
    assert f"dag {int(day.group(1)) + 4} van 100" in header_of(page(member_client, world))


def test_a_renamed_lab_and_a_new_traffic_light_show_though_the_board_kept_its_version(member_client, world, now):
    """Neither raises the board's version; both are in what the kept content is kept under."""
    before = header_of(page(member_client, world))
    assert "Field Lab Mensenhandel" in before and "nog geen update" in before
    version = db.session.scalar(select(Challenge.board_version).where(Challenge.id == world.challenge.id))
    world.lab.name = "Field Lab Arbeidsuitbuiting"
    db.session.add(ProgressUpdate(challenge_id=world.challenge.id, author_id=world.member.id, created_at=now,
                                  status=Status.BEHIND))
    db.session.commit()
    assert db.session.scalar(select(Challenge.board_version).where(Challenge.id == world.challenge.id)) == version
    after = header_of(page(member_client, world))
    assert "Field Lab Arbeidsuitbuiting" in after and "Field Lab Mensenhandel" not in after
    assert "board-status--behind" in after and "nog geen update" not in after
