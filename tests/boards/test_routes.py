"""The board through the browser's eyes: full pages and htmx fragments, plain forms and htmx, the
refresh that answers 204 when nothing changed, and the conflict when two people edit one card."""

import re
from datetime import date

import pytest
from sqlalchemy import select

from fieldlab.boards import card_changes
from fieldlab.boards.models import BoardCard, Challenge, Column, Indicator, ProgressUpdate
from fieldlab.extensions import db
from tests.boards.conftest import add_cards

HX = {"HX-Request": "true"}


def board_url(world, suffix=""):
    return f"/teams/{world.team.id}/bord{suffix}"


def version_of(world) -> int:
    return db.session.scalar(select(Challenge.board_version).where(Challenge.id == world.challenge.id))


def test_board_page_shows_day_n_of_100_the_dates_of_day_50_and_100_and_the_columns(member_client, world):
    add_cards(world, 1)
    db.session.commit()
    html = member_client.get(board_url(world)).get_data(as_text=True)
    assert "<html" in html
    assert re.search(r"dag \d+ van 100", html)
    assert "Dag 50" in html and "Dag 100" in html
    for column in ("Gepland", "Bezig", "Geblokkeerd", "Klaar"):
        assert column in html
    assert "Actie 0" in html
    assert "Sortable.min.js" in html and "js/board.js" in html


def test_board_is_read_only_for_a_manager_without_sortable(client, auth, world):
    add_cards(world, 1)
    db.session.commit()
    auth.login(world.manager)
    html = client.get(board_url(world)).get_data(as_text=True)
    assert "Actie 0" in html
    assert "Kaart toevoegen" not in html and "Verplaatsen" not in html
    assert "Sortable.min.js" not in html
    assert client.post(board_url(world, "/kaarten"), data={"new-card-title": "x"}).status_code == 403


def test_adding_a_card_with_a_plain_form_redirects_back_to_the_board(member_client, world):
    response = member_client.post(board_url(world, "/kaarten"), data={
        "new-card-title": "Bel de woningcorporatie", "new-card-owner": world.teammate.id,
        "new-card-due_day": "52", "new-card-labels": "wonen, bellen"})
    assert response.status_code == 303
    card = db.session.scalar(select(BoardCard))
    assert (card.title, card.owner_id, card.due_day, card.labels) == \
        ("Bel de woningcorporatie", world.teammate.id, 52, ["wonen", "bellen"])
    page = member_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Bel de woningcorporatie" in page and "is toegevoegd" in page


def test_adding_a_card_with_htmx_answers_the_fresh_form_and_triggers_a_refresh(member_client, world):
    response = member_client.post(board_url(world, "/kaarten"), headers=HX, data={
        "new-card-title": "Bel de woningcorporatie", "new-card-owner": world.member.id})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["HX-Trigger"] == "board-changed"
    assert "<html" not in html and 'id="board-add-card"' in html
    assert "‘Bel de woningcorporatie’ is toegevoegd" in html


def test_a_due_day_that_has_passed_is_warned_about_and_saved_only_when_confirmed(member_client, world):
    """Day 37 today: 'klaar op dag 12' is asked about once, with the input kept and nothing saved;
    ticking 'Toch opslaan' saves it."""
    data = {"new-card-title": "Bel de woningcorporatie", "new-card-owner": world.member.id,
            "new-card-due_day": "12", "new-card-description": "mijn tekst"}
    for headers in ({}, HX):
        response = member_client.post(board_url(world, "/kaarten"), headers=headers, data=data)
        html = response.get_data(as_text=True)
        assert response.status_code == 422
        assert "Dag 12 is al voorbij: vandaag is dag 37 van de challenge." in html
        assert "Toch opslaan met een dag die al voorbij is" in html
        assert "mijn tekst" in html and 'value="Bel de woningcorporatie"' in html
        assert db.session.scalar(select(BoardCard)) is None

    response = member_client.post(board_url(world, "/kaarten"), data={**data, "new-card-confirm_past_due": "y"})
    assert response.status_code == 303
    assert db.session.scalar(select(BoardCard.due_day)) == 12


def test_editing_a_card_warns_only_when_the_due_day_moves_into_the_past(member_client, world, now):
    card = card_changes.add_card(world.challenge, title="Oud", owner_id=world.member.id, due_day=10,
                             by=world.member, now=now)
    db.session.commit()
    fields = {f"card-{card.id}-title": "Oud, nieuwe titel", f"card-{card.id}-owner": world.member.id,
              f"card-{card.id}-due_day": "10", f"card-{card.id}-version": card.version}
    assert member_client.post(board_url(world, f"/kaarten/{card.id}"), data=fields).status_code == 303

    db.session.refresh(card)
    moved = {**fields, f"card-{card.id}-due_day": "20", f"card-{card.id}-version": card.version}
    response = member_client.post(board_url(world, f"/kaarten/{card.id}"), data=moved)
    assert response.status_code == 422
    assert "Dag 20 is al voorbij" in response.get_data(as_text=True)
    db.session.refresh(card)
    assert card.due_day == 10


def test_invalid_card_is_refused_with_422_and_the_input_kept(member_client, world):
    response = member_client.post(board_url(world, "/kaarten"), headers=HX, data={
        "new-card-title": "", "new-card-owner": world.member.id, "new-card-description": "mijn tekst",
        "new-card-due_day": "9", "new-card-quick_win": "y"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Dit veld is verplicht." in html and "mijn tekst" in html
    quick = member_client.post(board_url(world, "/kaarten"), data={
        "new-card-title": "Snel", "new-card-owner": world.member.id, "new-card-due_day": "30",
        "new-card-quick_win": "y"})
    assert quick.status_code == 422 and "eerste 15 dagen" in quick.get_data(as_text=True)
    assert db.session.scalar(select(BoardCard)) is None


def test_moving_with_the_plain_form_and_with_htmx_uses_the_same_service(member_client, world):
    cards = add_cards(world, 3)
    db.session.commit()
    plain = member_client.post(board_url(world, f"/kaarten/{cards[0].id}/verplaatsen"),
                               data={"column": "doing", "position": ""})
    assert plain.status_code == 303
    fragment = member_client.post(board_url(world, f"/kaarten/{cards[2].id}/verplaatsen"), headers=HX,
                                  data={"column": "doing", "position": "1"})
    assert fragment.status_code == 200 and fragment.headers["HX-Trigger"] == "board-changed"
    db.session.expire_all()
    doing = db.session.scalars(select(BoardCard.title).where(BoardCard.column_key == Column.DOING)
                               .order_by(BoardCard.position)).all()
    assert doing == ["Actie 2", "Actie 0"]


def test_refresh_answers_204_when_unchanged_and_the_columns_when_changed(member_client, world, now):
    add_cards(world, 1)
    db.session.commit()
    version = version_of(world)
    unchanged = member_client.get(board_url(world, f"/ververs?versie={version}"), headers=HX)
    assert unchanged.status_code == 204 and unchanged.get_data() == b""
    card_changes.add_card(world.challenge, title="Nieuw van Bram", owner_id=world.teammate.id, by=world.teammate,
                      now=now)
    db.session.commit()
    changed = member_client.get(board_url(world, f"/ververs?versie={version}"), headers=HX)
    html = changed.get_data(as_text=True)
    assert changed.status_code == 200 and changed.headers["HX-Trigger"] == "board-updated"
    assert html.lstrip().startswith('<div id="board-columns"') and "Nieuw van Bram" in html
    assert f'value="{version_of(world)}"' in html


def test_activity_fragment_lists_who_did_what(member_client, world, now):
    cards = add_cards(world, 1, by=world.teammate)
    card_changes.move_card(cards[0], column=Column.BLOCKED, by=world.member, now=now)
    db.session.commit()
    html = member_client.get(board_url(world, "/activiteit"), headers=HX).get_data(as_text=True)
    assert "<html" not in html
    assert "Anna Teamlid verplaatste ‘Actie 0’ naar Geblokkeerd." in html
    assert "Bram Teamgenoot voegde ‘Actie 0’ toe." in html


def test_edit_form_is_a_fragment_inline_and_a_page_without_javascript(member_client, world):
    card = add_cards(world, 1)[0]
    db.session.commit()
    url = board_url(world, f"/kaarten/{card.id}/bewerken")
    inline = member_client.get(url, headers={**HX, "HX-Target": f"board-card-{card.id}"}).get_data(as_text=True)
    assert inline.lstrip().startswith(f'<li id="board-card-{card.id}" class="board-card board-card--editing"')
    page = member_client.get(url).get_data(as_text=True)
    assert "<html" in page and "Kaart bewerken" in page


def edit(client, world, card, *, version, title, description="", htmx=True):
    headers = {**HX, "HX-Target": f"board-card-{card.id}"} if htmx else {}
    prefix = f"card-{card.id}-"
    return client.post(board_url(world, f"/kaarten/{card.id}"), headers=headers, data={
        prefix + "title": title, prefix + "description": description, prefix + "owner": card.owner_id,
        prefix + "version": version})


def test_second_save_of_the_same_card_is_refused_showing_the_other_version_and_keeping_the_text(
        client, auth, world, now):
    card = add_cards(world, 1)[0]
    db.session.commit()
    card_changes.edit_card(card, expected_version=1, title="Anna's titel", description="Anna's tekst",
                       owner_id=world.member.id, by=world.member, now=now)
    db.session.commit()
    auth.login(world.teammate)

    response = edit(client, world, card, version=1, title="Bram's titel", description="Bram's lange tekst")
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Iemand anders heeft deze kaart intussen gewijzigd." in html
    assert "Anna Teamlid" in html and "Anna&#39;s tekst" in html
    assert "Bram&#39;s lange tekst" in html and 'value="Bram&#39;s titel"' in html
    assert f'name="card-{card.id}-version" type="hidden" value="2"' in html
    db.session.expire_all()
    assert db.session.get(BoardCard, card.id).title == "Anna's titel"

    again = edit(client, world, card, version=2, title="Bram's titel", description="Bram's lange tekst")
    assert again.status_code == 200 and again.headers["HX-Trigger"] == "board-changed"
    db.session.expire_all()
    assert db.session.get(BoardCard, card.id).title == "Bram's titel"


def test_conflict_without_javascript_is_a_full_page_with_409(client, auth, world, now):
    card = add_cards(world, 1)[0]
    card_changes.edit_card(card, expected_version=1, title="Eerst", owner_id=world.member.id, by=world.member,
                       now=now)
    db.session.commit()
    auth.login(world.teammate)
    response = edit(client, world, card, version=1, title="Tweede", htmx=False)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "<html" in html and "Iemand anders heeft deze kaart intussen gewijzigd." in html


def test_a_card_of_another_team_is_not_found_on_this_board(member_client, world, now):
    other = card_changes.add_card(world.other_team.challenge, title="Geheim", owner_id=world.lab_participant.id,
                              by=world.lab_participant, now=now)
    db.session.commit()
    assert member_client.get(board_url(world, f"/kaarten/{other.id}/bewerken")).status_code == 404
    assert member_client.post(board_url(world, f"/kaarten/{other.id}/verplaatsen"),
                              data={"column": "done"}).status_code == 404


def test_challenge_page_saves_goal_plan_and_start_date(member_client, world):
    response = member_client.post(f"/teams/{world.team.id}/challenge", data={
        "goal": "Op dag 100 zijn 40 panden gecontroleerd.", "intervention_plan": "Samen controleren.",
        "team_agreement": "Elke maandag overleg.", "hours_committed": "300"})
    assert response.status_code == 303
    # A start so long ago that day 100 has passed is asked about once, the date kept.
    warned = member_client.post(f"/teams/{world.team.id}/challenge/startdatum", data={"starts_on": "2025-04-01"})
    assert warned.status_code == 422
    text = warned.get_data(as_text=True)
    assert "Met deze startdatum is de challenge al voorbij: dag 100 was 9 juli 2025." in text
    assert 'value="2025-04-01"' in text and "Toch opslaan: de challenge is al voorbij" in text
    assert db.session.get(Challenge, world.challenge.id).starts_on != date(2025, 4, 1)
    start = member_client.post(f"/teams/{world.team.id}/challenge/startdatum",
                               data={"starts_on": "2025-04-01", "confirm_over": "y"})
    assert start.status_code == 303
    db.session.expire_all()
    challenge = db.session.get(Challenge, world.challenge.id)
    assert challenge.goal == "Op dag 100 zijn 40 panden gecontroleerd." and challenge.hours_committed == 300
    page = member_client.get(f"/teams/{world.team.id}/challenge").get_data(as_text=True)
    assert "concreet en meetbaar" in page and "1 april 2025" in page


def test_indicators_and_values_on_the_challenge_page(member_client, world):
    member_client.post(f"/teams/{world.team.id}/challenge/indicatoren", data={
        "name": "Gecontroleerde panden", "baseline": "0", "target": "40"})
    indicator = world.challenge.indicators[0] if world.challenge.indicators else None
    db.session.expire_all()
    from fieldlab.boards.models import Indicator
    indicator = db.session.scalar(select(Indicator))
    response = member_client.post(f"/teams/{world.team.id}/challenge/indicatoren/{indicator.id}/waarden", data={
        f"indicator-{indicator.id}-measured_on": "2025-03-01", f"indicator-{indicator.id}-value": "12"})
    assert response.status_code == 303
    page = member_client.get(f"/teams/{world.team.id}/voortgang").get_data(as_text=True)
    assert "Gecontroleerde panden" in page and "<svg" in page and 'role="img"' in page


def test_weekly_update_shows_in_the_header_and_on_the_commissioners_overview(client, auth, member_client, world):
    response = member_client.post(f"/teams/{world.team.id}/voortgang", data={
        "status": "at_risk", "went_well": "Gesprekken gevoerd", "stuck": "Geen toegang tot data",
        "help_needed": "Toestemming om gegevens te delen", "hours_spent": "12"})
    assert response.status_code == 303
    assert db.session.scalar(select(ProgressUpdate.status)) == "at_risk"
    assert "risico" in member_client.get(board_url(world)).get_data(as_text=True)
    auth.logout()
    auth.login(world.commissioner)
    overview = client.get("/borden").get_data(as_text=True)
    assert "Team Kompas" in overview and "risico" in overview and "Toestemming om gegevens te delen" in overview
    assert "Team Baken" not in overview


def test_progress_update_without_status_is_refused(member_client, world):
    response = member_client.post(f"/teams/{world.team.id}/voortgang", data={"went_well": "iets"})
    assert response.status_code == 422 and "Kies een status." in response.get_data(as_text=True)


def test_home_page_links_to_the_board(member_client, world):
    html = member_client.get("/").get_data(as_text=True)
    assert f'href="/teams/{world.team.id}/bord"' in html


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-inf", "1e20"])
def test_an_indicator_value_that_is_no_storable_number_gets_a_dutch_message(member_client, world, value):
    """Decimal accepts 'NaN' and 'Infinity'; the database cannot store them (this was a 500)."""
    response = member_client.post(f"/teams/{world.team.id}/challenge/indicatoren", data={
        "name": "Panden gecontroleerd", "baseline": "0", "target": value})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert ("Vul een getal in." in html) or ("Dit getal is te groot." in html)
    assert "Panden gecontroleerd" in html
    assert db.session.scalar(select(Indicator)) is None
