"""Rows that stand for a kind ("Gemeente (elke gemeente)", "Ondernemer") are nobody's organisation.
Where a person's organisation is asked (the invitation, one participant, the pasted list), a kind
is offered as "Een gemeente die er niet bij staat…" and the question "Welke gemeente?" adds the
concrete one; without JavaScript the form asks it in a second step."""

import re

import pytest
from sqlalchemy import func, select

from fieldlab.audit.models import AuditEvent
from fieldlab.auth.models import Role, User
from fieldlab.extensions import db
from fieldlab.labs.models import Participation
from fieldlab.organisations.models import Organisation
from fieldlab.organisations.services import load_reference_list, organisation_choices


def kind(name) -> Organisation:
    return db.session.scalar(select(Organisation).where(Organisation.name == name))


def organisation_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Organisation))


@pytest.fixture
def facilitator(app, login_as):
    load_reference_list()
    db.session.commit()
    return login_as(Role.FACILITATOR)


def invite(client, **fields):
    data = {"name": "Youssef El Amrani", "email": "youssef@zwolle.example", "organisation_id": "0",
            "roles": ["participant"]}
    data.update(fields)
    return client.post("/accounts/uitnodigen", data=data)


def test_no_kind_is_offered_as_an_organisation(app):
    load_reference_list()
    names = set(dict(organisation_choices()).values())
    assert not names & {"Ondernemer", "Universiteit of hogeschool (wetenschap)", "Bank (elke bank)",
                        "Gemeente (elke gemeente)", "Regionaal Informatie- en Expertisecentrum (elk RIEC)"}
    assert {"RIEC Rotterdam", "Nationale Politie"} <= names


def test_invite_list_offers_kinds_apart_with_their_question(client, facilitator):
    page = client.get("/accounts/uitnodigen").get_data(as_text=True)

    start = page.index('id="organisation_id" name="organisation_id"')
    select_html = page[start:page.index("</select>", start)]
    before_group = select_html[:select_html.index("<optgroup")]
    assert "RIEC Midden-Nederland" in before_group and "Nationale Politie" in before_group
    for name in ("Ondernemer", "Wetenschap", "(elke ", "(elk RIEC)"):
        assert name not in select_html
    group = select_html[select_html.index("<optgroup"):]
    assert 'label="Staat de organisatie er niet bij?"' in group
    gemeente = kind("Gemeente (elke gemeente)")
    assert re.search(rf'<option data-question="Welke gemeente\?" value="soort-{gemeente.id}">'
                     r"Een gemeente die er niet bij staat…</option>", group)
    assert "Een bedrijf of ondernemer dat er niet bij staat…" in group
    assert "RIEC" not in group, "the ten RIECs are all in the list"
    assert re.search(r'<div class="organisation-picker__new" id="new_organisation_name-group" hidden>', page), \
        "the question waits until a kind is picked"


def test_picking_a_kind_without_javascript_asks_which_one_in_a_second_step(client, facilitator):
    gemeente = kind("Gemeente (elke gemeente)")
    before = organisation_count()

    response = invite(client, organisation_id=f"soort-{gemeente.id}")

    # The question was hidden when the form was sent: it comes back asked, not as an error.
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'id="new_organisation_name-group" hidden' not in page
    assert re.search(r'<label class="field__label" for="new_organisation_name">Welke gemeente\?</label>', page)
    assert "error-summary" not in page and 'id="new_organisation_name-error"' not in page
    assert re.search(r'<input [^>]*autofocus[^>]*id="new_organisation_name"', page)
    assert f'name="organisation_asked" value="soort-{gemeente.id}"' in page
    assert 'value="youssef@zwolle.example"' in page, "the rest of the input is kept"
    assert re.search(rf'<option selected value="soort-{gemeente.id}">|<option data-question="Welke gemeente\?" '
                     rf'selected value="soort-{gemeente.id}">', page)
    assert organisation_count() == before and User.by_email("youssef@zwolle.example") is None

    # Sent again with the question on the screen and still no name: now that is an error.
    response = invite(client, organisation_id=f"soort-{gemeente.id}", organisation_asked=f"soort-{gemeente.id}")
    assert response.status_code == 422
    assert re.search(r'id="new_organisation_name-error">Welke gemeente\? Vul de naam in.', response.get_data(as_text=True))
    assert organisation_count() == before and User.by_email("youssef@zwolle.example") is None


def test_the_named_gemeente_is_added_and_the_person_belongs_to_it(client, facilitator):
    gemeente = kind("Gemeente (elke gemeente)")

    response = invite(client, organisation_id=f"soort-{gemeente.id}", new_organisation_name="  Gemeente  Zwolle ")

    assert response.status_code == 303
    person = User.by_email("youssef@zwolle.example")
    zwolle = person.organisation
    assert (zwolle.name, zwolle.kind, zwolle.sector, zwolle.generic, zwolle.reference) == (
        "Gemeente Zwolle", "gemeente", "publiek", False, False)
    assert db.session.scalar(select(AuditEvent.object_id).where(AuditEvent.action == "organisation_added")) == zwolle.id
    assert "Gemeente Zwolle" in client.get("/accounts/uitnodigen").get_data(as_text=True)


def test_a_name_already_in_the_list_is_used_not_added_twice(client, facilitator):
    bank = kind("Bank (elke bank)")
    ns = kind("Nederlandse Spoorwegen")
    before = organisation_count()

    invite(client, organisation_id=f"soort-{bank.id}", new_organisation_name="nederlandse spoorwegen")

    assert User.by_email("youssef@zwolle.example").organisation_id == ns.id
    assert organisation_count() == before


@pytest.mark.parametrize("name", ["Bank (elke bank)", "Ondernemer", "bank"])
def test_a_kind_is_no_answer_to_which_one(client, facilitator, name):
    bank = kind("Bank (elke bank)")
    before = organisation_count()

    response = invite(client, organisation_id=f"soort-{bank.id}", new_organisation_name=name)

    assert response.status_code == 422
    assert "Welke bank? Vul de naam van de organisatie zelf in, bijvoorbeeld ABN AMRO." in response.get_data(as_text=True)
    assert organisation_count() == before


def test_a_kind_row_itself_cannot_be_posted_as_the_organisation(client, facilitator):
    response = invite(client, organisation_id=str(kind("Ondernemer").id))

    assert response.status_code == 422
    assert User.by_email("youssef@zwolle.example") is None


def test_one_participant_with_a_kind_gets_the_concrete_organisation(client, facilitator, make):
    lab = make.make_lab()
    db.session.commit()
    science = kind("Universiteit of hogeschool (wetenschap)")
    data = {"name": "Sanne Smit", "email": "sanne@tilburguniversity.example", "organisation_id": f"soort-{science.id}",
            "level": "", "expertise": ""}

    asked = client.post(f"/labs/{lab.id}/deelnemers/toevoegen", data=data)
    assert asked.status_code == 200 and "Welke universiteit of hogeschool?" in asked.get_data(as_text=True)
    empty = client.post(f"/labs/{lab.id}/deelnemers/toevoegen",
                        data={**data, "organisation_asked": f"soort-{science.id}"})
    assert empty.status_code == 422
    assert "Welke universiteit of hogeschool? Vul de naam in." in empty.get_data(as_text=True)

    response = client.post(f"/labs/{lab.id}/deelnemers/toevoegen", data={**data, "new_organisation_name": "Tilburg University"})

    assert response.status_code == 303
    person = User.by_email("sanne@tilburguniversity.example")
    assert (person.organisation.name, person.organisation.kind) == ("Tilburg University", "kennisinstituut")


def test_a_failing_participant_line_adds_no_organisation(client, facilitator, make):
    lab = make.make_lab()
    existing = make.make_user(Role.PARTICIPANT, email="al@aangemeld.example")
    lab.participations.append(Participation(user_id=existing.id, registered_at=lab.created_at))
    db.session.commit()
    before = organisation_count()

    response = client.post(f"/labs/{lab.id}/deelnemers/toevoegen", data={
        "name": "Al Aangemeld", "email": "al@aangemeld.example", "level": "", "expertise": "",
        "organisation_id": f"soort-{kind('Gemeente (elke gemeente)').id}", "new_organisation_name": "Gemeente Ede"})

    assert response.status_code == 422 and "al aangemeld voor dit Lab" in response.get_data(as_text=True)
    assert organisation_count() == before


# --- The pasted list ------------------------------------------------------------------------------

PASTE = ("Daan Visser; daan@politie.example; Politie; uitvoering;\n"
         "Anouk Bos; anouk@ede.example; Gemeente; beleid; handhaving\n"
         "Peter Dekker; peter@bank.example; Bank (elke bank); management;\n")


@pytest.mark.parametrize("written, question", [("Gemeente", "welke gemeente?"), ("Bank (elke bank)", "welke bank?"),
                                               ("Ondernemer", "welk bedrijf?"), ("wetenschap", "welke universiteit of hogeschool?"),
                                               ("RIEC", "welk RIEC?")])
def test_a_pasted_kind_is_flagged_as_a_kind(client, facilitator, make, written, question):
    lab = make.make_lab()
    db.session.commit()

    response = client.post(f"/labs/{lab.id}/deelnemers/plakken",
                           data={"lines": f"Anouk Bos; anouk@example.org; {written}; beleid;"})

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f"&#39;{written}&#39; is een soort organisatie, geen organisatie: {question}" in page
    assert "onbekende organisatie" not in page
    assert f'action="/labs/{lab.id}/deelnemers/plakken/organisatie"' in page


def test_answering_which_gemeente_in_the_row_puts_it_into_the_line(client, facilitator, make):
    lab = make.make_lab()
    db.session.commit()
    preview = client.post(f"/labs/{lab.id}/deelnemers/plakken", data={"lines": PASTE}).get_data(as_text=True)
    assert "2 regels zijn niet in orde" in preview
    assert '<label class="field__label" for="labs-kind-name-2">Welke gemeente?' in preview
    assert '<label class="field__label" for="labs-kind-name-3">Welke bank?' in preview

    empty = client.post(f"/labs/{lab.id}/deelnemers/plakken/organisatie",
                        data={"lines": PASTE, "line": "2", "kind_id": str(kind("Gemeente (elke gemeente)").id), "name": ""})
    assert empty.status_code == 422
    assert re.search(r'id="labs-kind-name-2-error">Welke gemeente\? Vul de naam in.', empty.get_data(as_text=True))

    response = client.post(f"/labs/{lab.id}/deelnemers/plakken/organisatie",
                           data={"lines": PASTE, "line": "2", "kind_id": str(kind("Gemeente (elke gemeente)").id),
                                 "name": "Gemeente Ede"})
    page = response.get_data(as_text=True)
    assert "Gemeente Ede staat nu in de lijst van organisaties en in regel 2." in page
    assert "Anouk Bos; anouk@ede.example; Gemeente Ede; beleid; handhaving" in page
    assert "1 regel is niet in orde" in page, "the bank is still to be named"

    lines = PASTE.replace("; Gemeente;", "; Gemeente Ede;")
    response = client.post(f"/labs/{lab.id}/deelnemers/plakken/organisatie",
                           data={"lines": lines, "line": "3", "kind_id": str(kind("Bank (elke bank)").id),
                                 "name": "ABN AMRO"})
    assert response.status_code == 200 and "Alle 3 regels zijn in orde" in response.get_data(as_text=True)
    lines = lines.replace("Bank (elke bank)", "ABN AMRO")
    assert db.session.scalar(select(func.count()).select_from(Participation)) == 0, "nothing registered yet"

    confirmed = client.post(f"/labs/{lab.id}/deelnemers/plakken/bevestigen", data={"lines": lines})

    assert confirmed.status_code == 303
    assert User.by_email("anouk@ede.example").organisation.name == "Gemeente Ede"
    assert (User.by_email("peter@bank.example").organisation.name,
            User.by_email("peter@bank.example").organisation.sector) == ("ABN AMRO", "privaat")


def test_a_gemeente_named_by_its_place_is_written_as_the_list_writes_gemeenten(client, facilitator, make):
    """Asked "Welke gemeente?", a facilitator typed "Waalwijk": an organisation called "Waalwijk"
    then sorted at the end of every list, apart from "Gemeente Tilburg". The question now has a
    hint, and a place alone becomes "Gemeente Waalwijk" (an existing one is used, not doubled)."""
    lab = make.make_lab()
    db.session.commit()
    preview = client.post(f"/labs/{lab.id}/deelnemers/plakken", data={"lines": PASTE}).get_data(as_text=True)
    assert '<p class="field__hint" id="labs-kind-name-2-hint">Bijvoorbeeld Gemeente Tilburg.</p>' in preview
    assert '<p class="field__hint" id="labs-kind-name-3-hint">Bijvoorbeeld ABN AMRO.</p>' in preview
    before = organisation_count()
    response = client.post(f"/labs/{lab.id}/deelnemers/plakken/organisatie",
                           data={"lines": PASTE, "line": "2", "kind_id": str(kind("Gemeente (elke gemeente)").id),
                                 "name": "waalwijk"})
    assert "Anouk Bos; anouk@ede.example; Gemeente Waalwijk; beleid; handhaving" in response.get_data(as_text=True)
    assert organisation_count() == before + 1
    again = client.post(f"/labs/{lab.id}/deelnemers/plakken/organisatie",
                        data={"lines": PASTE, "line": "2", "kind_id": str(kind("Gemeente (elke gemeente)").id),
                              "name": "Waalwijk"})
    assert "Gemeente Waalwijk staat nu in de lijst" in again.get_data(as_text=True)
    assert organisation_count() == before + 1


def test_who_may_not_add_organisations_cannot_answer_for_a_pasted_kind(client, login_as, make):
    load_reference_list()
    lab = make.make_lab()
    login_as(Role.PARTICIPANT)

    response = client.post(f"/labs/{lab.id}/deelnemers/plakken/organisatie",
                           data={"lines": PASTE, "line": "2", "kind_id": str(kind("Gemeente (elke gemeente)").id),
                                 "name": "Gemeente Ede"})

    assert response.status_code in (403, 404)
    assert db.session.scalar(select(Organisation).where(Organisation.name == "Gemeente Ede")) is None
