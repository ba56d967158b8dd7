"""The reference list of partner organisations, and the concrete ones facilitators add."""

import csv
import re
from importlib import resources

import pytest
from sqlalchemy import func, select

from fieldlab.audit.models import AuditEvent
from fieldlab.auth.models import Role
from fieldlab.extensions import db
from fieldlab.organisations.models import Organisation
from fieldlab.organisations.services import load_reference_list, organisation_choices


def reference_rows() -> list[dict]:
    with resources.files("fieldlab").joinpath("data/organisations.csv").open(encoding="utf-8") as file:
        return list(csv.DictReader(file))


def organisation_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Organisation))


def test_reference_list_is_loaded_once(app):
    rows = reference_rows()

    assert load_reference_list() == len(rows)
    db.session.commit()
    assert load_reference_list() == 0
    assert organisation_count() == len(rows)
    police = db.session.scalar(select(Organisation).where(Organisation.short_name == "Politie"))
    assert (police.name, police.kind, police.sector, police.reference, police.generic) == (
        "Nationale Politie",
        "politie",
        "publiek",
        True,
        False,
    )


def test_reference_list_matches_the_partners_of_the_facts_sheet():
    names = {row["name"] for row in reference_rows()}

    assert {"Openbaar Ministerie", "Nationale Politie", "Belastingdienst", "Nederlandse Spoorwegen"} <= names
    assert all(row["sector"] in {"publiek", "privaat"} for row in reference_rows())
    assert len(names) == len(reference_rows()), "no duplicate names"


def test_generic_rows_are_kinds_not_choices(app):
    load_reference_list()

    generic = db.session.scalars(select(Organisation.name).where(Organisation.generic.is_(True))).all()
    assert "Gemeente (elke gemeente)" in generic and "Bank (elke bank)" in generic
    choices = dict(organisation_choices())
    assert not any("(elke " in name for name in choices.values())
    assert "Nationale Politie" in choices.values()


def add(client, **fields):
    data = {"name": "Gemeente Tilburg", "short_name": "Tilburg", "kind": "gemeente", "sector": "publiek"}
    data.update(fields)
    return client.post("/organisaties/", data=data)


@pytest.fixture
def facilitator(app, login_as):
    load_reference_list()
    db.session.commit()
    return login_as(Role.FACILITATOR)


def test_facilitator_adds_a_gemeente_and_it_is_audited(client, facilitator):
    response = add(client)

    assert response.status_code == 303
    page = client.get(response.location).get_data(as_text=True)
    assert "Gemeente Tilburg is toegevoegd." in page
    tilburg = db.session.scalar(select(Organisation).where(Organisation.name == "Gemeente Tilburg"))
    assert (tilburg.short_name, tilburg.kind, tilburg.sector, tilburg.generic, tilburg.reference) == (
        "Tilburg",
        "gemeente",
        "publiek",
        False,
        False,
    )
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "organisation_added")).all()
    assert (event.actor_id, event.object_type, event.object_id) == (
        facilitator.id,
        "organisation",
        tilburg.id,
    )
    assert "Gemeente Tilburg" in client.get("/accounts/uitnodigen").get_data(as_text=True)


def test_audit_page_names_the_added_organisation_row(client, facilitator):
    add(client)

    page = client.get("/logboek/").get_data(as_text=True)

    assert "organisatie toegevoegd" in page


@pytest.mark.parametrize("name", ["Gemeente Tilburg", " gemeente tilburg ", "Nationale Politie"])
def test_duplicate_name_is_refused_in_dutch(client, facilitator, name):
    add(client)
    before = organisation_count()

    response = add(client, name=name, short_name="Dubbel")

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert re.search(r'id="name-error">Deze organisatie staat al in de lijst.', page)
    assert 'value="Dubbel"' in page, "the other input is kept"
    assert organisation_count() == before


def test_private_organisation_without_short_name_uses_its_name(client, facilitator):
    add(client, name="ABN AMRO", short_name="", kind="bedrijf", sector="privaat")

    bank = db.session.scalar(select(Organisation).where(Organisation.name == "ABN AMRO"))
    assert (bank.short_name, bank.sector) == ("ABN AMRO", "privaat")


def test_organisation_needs_a_name_and_a_sector(client, facilitator):
    response = add(client, name="", sector="")

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Dit veld is verplicht." in page and "Kies publiek of privaat." in page


def test_names_and_labels_say_things_once(login_as, client):
    """'Universiteit of hogeschool (wetenschap) (Wetenschap)' and 'Korte naam (optioneel)
    (optioneel)' were shown: the short name is left out when the name says it, and the field
    macro alone marks a field optional."""
    load_reference_list()
    login_as(Role.FACILITATOR)
    page = client.get("/organisaties/").get_data(as_text=True)
    assert "Universiteit of hogeschool (wetenschap)" in page
    assert "(wetenschap) (Wetenschap)" not in page
    assert "(optioneel) <span" not in page and "Korte naam" in page
    assert page.count("(optioneel)") == page.count('class="field__optional"')
