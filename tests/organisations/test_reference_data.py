"""The reference list in step with the shared data: the ten regional RIECs by name, the rows that
stand for a kind marked as kinds, every kind named in English, and a paste that recognises the RIECs."""

import csv
from pathlib import Path

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from fieldlab.auth.models import Role
from fieldlab.extensions import db
from fieldlab.labs.models import Participation
from fieldlab.organisations.models import KINDS, Organisation
from fieldlab.organisations.services import load_reference_list, reference_rows

RIECS = ["Amsterdam", "Den Haag", "Limburg", "Midden-Nederland", "Noord-Holland", "Noord-Nederland",
         "Oost-Brabant", "Oost-Nederland", "Rotterdam", "Zeeland-West-Brabant"]
KIND_ROWS = {"Gemeente (elke gemeente)", "Provincie (elke provincie)", "Bank (elke bank)", "Ondernemer",
             "Universiteit of hogeschool (wetenschap)", "Regionaal Informatie- en Expertisecentrum (elk RIEC)"}
SHARED_CSV = next((path for path in (Path("/work/shared/data/organisations.csv"),
                                     Path(__file__).resolve().parents[3] / "shared/data/organisations.csv")
                   if path.exists()), None)


@pytest.mark.skipif(SHARED_CSV is None, reason="the shared reference data is not next to the repository")
def test_package_copy_is_in_step_with_the_shared_list():
    """Every row and column of the shared CSV, in its order; the package adds only `generic`."""
    with SHARED_CSV.open(encoding="utf-8") as file:
        shared = list(csv.DictReader(file))
    ours = reference_rows()
    assert [{key: row[key] for key in ("name", "short_name", "kind", "sector")} for row in ours] == shared


def test_the_ten_riecs_are_named_and_the_kinds_are_marked():
    rows = {row["name"]: row for row in reference_rows()}
    for region in RIECS:
        row = rows[f"RIEC {region}"]
        assert (row["short_name"], row["kind"], row["sector"], row["generic"]) == (
            f"RIEC {region}", "netwerk", "publiek", False)
    assert {name for name, row in rows.items() if row["generic"]} == KIND_ROWS
    assert "Regionaal Informatie- en Expertisecentrum" not in rows, "the generic RIEC says it is a kind"


def test_every_kind_of_the_list_is_one_the_code_names():
    assert {row["kind"] for row in reference_rows()} <= set(KINDS)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_has_an_english_name(app, kind):
    """Fails on any kind the code defines whose label has no English translation."""
    label = KINDS[kind]
    with app.test_request_context(), force_locale("en"):
        english = str(label)
    with app.test_request_context(), force_locale("nl"):
        dutch = str(label)
    assert english != dutch, f"kind {kind!r} ({dutch}) has no English name"
    assert english.isascii() and english == english.lower()


def test_organisations_page_names_kinds_in_english(client, login_as):
    load_reference_list()
    login_as(Role.FACILITATOR, locale="en")

    page = client.get("/organisaties/").get_data(as_text=True)

    assert "<td>municipality" in page and "central government agency" in page
    assert "<td>gemeente" not in page and "<td>rijksdienst" not in page
    assert '<option value="gemeente">municipality</option>' in page, "the add form's kinds too"


def test_loading_again_adds_nothing_and_keeps_a_riec_added_by_hand(app):
    db.session.add(Organisation(name="RIEC Rotterdam", short_name="Rotterdam", kind="netwerk", sector="publiek",
                                generic=False, reference=False))
    db.session.flush()

    added = load_reference_list()

    assert added == len(reference_rows()) - 1
    assert load_reference_list() == 0
    assert db.session.scalar(select(func.count()).select_from(Organisation)
                             .where(Organisation.name.ilike("RIEC Rotterdam"))) == 1


def paste(client, lab, text):
    return client.post(f"/labs/{lab.id}/deelnemers/plakken", data={"lines": text})


def test_a_paste_with_every_riec_name_and_short_name_is_recognised(client, login_as, make):
    login_as(Role.FACILITATOR)
    load_reference_list()
    lab = make.make_lab()
    db.session.commit()
    rows = [row for row in reference_rows() if row["name"].startswith("RIEC ")]
    written = [row["name"] for row in rows] + [row["short_name"] for row in rows] + [
        "riec midden nederland", "RIEC  Zeeland West-Brabant", "RIEC DEN HAAG"]  # as people type them
    text = "\n".join(f"Persoon {number}; persoon{number}@riec.example; {name}; beleid;"
                     for number, name in enumerate(written, start=1))

    response = paste(client, lab, text)

    page = response.get_data(as_text=True)
    assert response.status_code == 200, page[page.find("Fout:") - 300:page.find("Fout:") + 300]
    assert "onbekende organisatie" not in page and "Fout:" not in page
    assert f"Alle {len(written)} regels zijn in orde" in page

    confirmed = client.post(f"/labs/{lab.id}/deelnemers/plakken/bevestigen", data={"lines": text})

    assert confirmed.status_code == 303
    organisations = [participation.user.organisation.name for participation in
                     db.session.scalars(select(Participation).order_by(Participation.id))]
    assert organisations == [row["name"] for row in rows] * 2 + [
        "RIEC Midden-Nederland", "RIEC Zeeland-West-Brabant", "RIEC Den Haag"]
