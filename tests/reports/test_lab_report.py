"""The Lab report against the seeded Lab: its numbers, the anonymity threshold, the reduction of
confidential vraagstukken for everyone but facilitators, who may read it, and the PDF."""

import io
import re
from datetime import date, datetime, time

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from fieldlab.audit.models import AuditEvent
from fieldlab.auth.models import Role
from fieldlab.extensions import db
from fieldlab.reports import lab_report
from fieldlab.timeutil import LOCAL_ZONE
from tests.reports.conftest import SECRET, TODAY

NOON = datetime.combine(TODAY, time(12), LOCAL_ZONE)


def text_of(html: str) -> str:
    """What a person reads: tags dropped, whitespace collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def page(client, seeded, user) -> str:
    from tests.conftest import Auth

    Auth(client).login(user)
    response = client.get(f"/labs/{seeded.lab.id}/rapportage")
    assert response.status_code == 200
    return text_of(response.get_data(as_text=True))


def test_report_numbers_of_the_seeded_lab(seeded):
    report = lab_report.lab_report(seeded.lab, reader=seeded.facilitator, now=NOON)
    assert report.participants == 6
    assert dict(report.organisations) == {"Politie Zeeland-West-Brabant": 3, "Gemeente Tilburg": 2, "Rabobank": 1}
    assert dict(report.sectors) == {"publiek": 5, "privaat": 1}
    baken, kompas = report.teams
    assert (baken.team.name, baken.cards_total, baken.cards_done) == ("Baken", 4, 2)
    assert dict(baken.status_counts) == {"on_track": 2, "at_risk": 1, "behind": 0}
    assert baken.latest_status == "on_track" and baken.day == 100
    # Past day 100 the report says "afgerond", as the board does; on day 50 it says the day.
    assert baken.finished and not lab_report.lab_report(
        seeded.lab, reader=seeded.facilitator, now=datetime.combine(date(2025, 3, 10), time(12), LOCAL_ZONE)
    ).teams[0].finished
    assert [row.name for row in baken.members] == ["Anna", "Bart", "Bea"] and baken.members[0].leader
    assert baken.cards_done_series.table_rows == [(1, 0.0), (3, 1.0), (10, 2.0), (100, 2.0)]
    assert baken.indicators[0].table_rows == [(30, 12.0), (60, 25.0)]
    (attendance,) = report.attendance
    assert (attendance.invited, attendance.yes, attendance.no, attendance.maybe, attendance.unanswered) == (6, 3, 1, 1, 1)
    programme, return_day = report.evaluations
    assert programme.results.shown and programme.results.overall.average == 8.0
    assert programme.results.responded == 4 and programme.results.asked == 6
    assert not return_day.results.shown and return_day.results.responded == 2
    assert [course.team.name for course in report.results] == ["Baken", "Kompas"]
    assert baken.result.goal_reached == "yes" and baken.result.sustainability.still_in_use == "yes"


def test_facilitator_reads_everything(client, seeded):
    text = page(client, seeded, seeded.facilitator)
    assert SECRET in text
    assert "Panden wisselen vaak van eigenaar." in text
    assert "Gemiddeld totaalcijfer 8,0" in text
    assert "Reacties 4 (67%)" in text
    assert "Kaarten klaar 2 van 4" in text
    assert "Dag 1 · Baken" in text and "· aanwezigheidslijst (CSV)" in text
    assert "Cijfer opdrachtgever" in text and "ja, nog in gebruik" in text and "42 panden gecontroleerd." in text
    assert "alleen de titel en de aantallen" not in text


def test_below_three_responses_only_counts_are_shown(client, seeded):
    text = page(client, seeded, seeded.facilitator)
    return_day_part = text.split("Evaluatie terugkomdag dag 1", 1)[1]
    assert "Reacties 2 (33%)" in return_day_part
    assert "Nog geen resultaten: die verschijnen pas vanaf 3 reacties." in return_day_part
    assert "Gemiddeld totaalcijfer" not in return_day_part and "Verdeling van het totaalcijfer" not in return_day_part


@pytest.mark.parametrize("reader", ["commissioner", "manager"])
def test_others_read_the_confidential_vraagstuk_by_its_title_only(client, seeded, reader):
    text = page(client, seeded, getattr(seeded, reader))
    assert "Witwassen via flitsbezorgers" in text
    assert SECRET not in text
    assert "alleen de titel en de aantallen" in text
    kompas = text.split("Kompas", 1)[1]
    assert "Kaarten klaar 1 van 1" in kompas  # the counts stay
    assert "Doel, voortgangsupdates en indicatoren van dit team staan niet in deze rapportage." in kompas


def test_opdrachtgever_reads_her_internal_vraagstuk_and_the_evaluation_summary(client, seeded):
    text = page(client, seeded, seeded.commissioner)
    assert "Panden wisselen vaak van eigenaar." in text
    assert "Gemiddeld totaalcijfer 8,0" in text
    assert "· aanwezigheidslijst (CSV)" not in text


def test_leidinggevende_reads_neither_the_vraagstuk_text_nor_the_evaluations(client, seeded):
    text = page(client, seeded, seeded.manager)
    assert "Panden wisselen vaak van eigenaar." not in text  # intern: not his to open
    assert "Week 1 goed" in text  # he reads the board of Bart's team
    assert "U kunt de evaluaties van dit Lab niet inzien." in text


@pytest.mark.parametrize("who", ["participant", "outsider_commissioner", "other_manager"])
def test_others_get_404(client, auth, seeded, make, who):
    user = make.make_user(Role.MANAGER) if who == "other_manager" else getattr(seeded, who)
    db.session.commit()
    auth.login(user)
    assert client.get(f"/labs/{seeded.lab.id}/rapportage").status_code == 404
    assert client.get(f"/labs/{seeded.lab.id}/rapportage.pdf").status_code == 404
    assert "Rapportage</a>" not in client.get(f"/labs/{seeded.lab.id}").get_data(as_text=True)


def test_lab_page_links_to_the_report_and_menu_has_rapportages(client, auth, seeded):
    auth.login(seeded.facilitator)
    html = client.get(f"/labs/{seeded.lab.id}").get_data(as_text=True)
    assert f'href="/labs/{seeded.lab.id}/rapportage"' in html
    assert 'href="/rapportages/"' in html
    index = client.get("/rapportages/").get_data(as_text=True)
    assert "Field Lab Ondermijning 2025" in index and "Field Labs in 2025" in index


def pdf_reader(response) -> PdfReader:
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    return PdfReader(io.BytesIO(response.data))


def structure(reader: PdfReader) -> list[dict]:
    """Every element of the PDF's structure tree."""
    found, todo = [], [reader.trailer["/Root"]["/StructTreeRoot"]]
    while todo:
        node = todo.pop().get_object()
        if isinstance(node, dict):
            found.append(node)
            kids = node.get("/K")
            todo.extend(kids if isinstance(kids, list) else [kids] if kids is not None else [])
    return found


def pdf_text(reader: PdfReader) -> str:
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


def test_pdf_is_tagged_dutch_with_contents_and_the_numbers(client, auth, seeded):
    auth.login(seeded.facilitator)
    response = client.get(f"/labs/{seeded.lab.id}/rapportage.pdf")
    reader = pdf_reader(response)
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root
    assert root["/Lang"] == "nl"
    assert bool(root["/MarkInfo"]["/Marked"])
    assert len(reader.pages) >= 5
    assert reader.metadata.title == "Rapportage Field Lab Ondermijning 2025"
    elements = structure(reader)
    kinds = {element.get("/S") for element in elements}
    assert {"/H1", "/H2", "/H3", "/Table", "/TH", "/Caption", "/Figure", "/L"} <= kinds
    figures = [element for element in elements if element.get("/S") == "/Figure"]
    assert figures and all(figure.get("/Alt") for figure in figures)  # every chart has its text
    assert [item["/Title"] for item in reader.outline if not isinstance(item, list)] == ["Field Lab Ondermijning 2025"]
    titles = [item["/Title"] for item in reader.outline[1] if not isinstance(item, list)]
    assert titles == ["Vraagstukken", "Deelnemers", "Teams en hun 100 dagen", "Terugkomdagen", "Evaluaties",
                      "Resultaten op dag 100"]
    text = pdf_text(reader)
    assert "Inhoud" in text and re.search(r"Terugkomdagen\s*\.*\s*\d+", text)
    assert "8,0" in text and "2 van 4" in text and f"/ {len(reader.pages)}" in text
    assert "attachment" in response.headers["Content-Disposition"]
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "report_downloaded")).one()


def test_pdf_for_an_opdrachtgever_has_no_confidential_text(client, auth, seeded):
    auth.login(seeded.commissioner)
    text = pdf_text(pdf_reader(client.get(f"/labs/{seeded.lab.id}/rapportage.pdf")))
    assert "Witwassen via flitsbezorgers" in text
    assert SECRET not in text.replace(" ", "") and "SECRET" not in text


def test_report_in_english(client, auth, seeded):
    seeded.facilitator.locale = "en"
    db.session.commit()
    text = page(client, seeded, seeded.facilitator)
    assert "Results on day 100" in text and "Average overall grade 8.0" in text
