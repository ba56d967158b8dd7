"""The Hub's annual report: its figures for the seeded year, the exports, the PDF and who may read it."""

import csv
import io
import re
from datetime import date

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from fieldlab.audit.models import AuditEvent
from fieldlab.auth.models import Role
from fieldlab.extensions import db
from fieldlab.labs.models import LabKind
from fieldlab.reports import hub_report
from tests.reports.conftest import TODAY


def rows(report, key) -> dict:
    return {row[0]: row[1] for row in report.table(key).rows}


@pytest.fixture
def year(seeded, make):
    """The seeded Lab plus a speedlab in 2025 and a Lab in 2024 (for the trend of grades)."""
    make.make_lab(name="Speedlab Havens", kind=LabKind.SPEEDLAB, theme="havens",
                  programme_starts_on=date(2025, 3, 1), programme_ends_on=date(2025, 3, 1))
    make.make_lab(name="Field Lab 2024", theme="ondermijning", programme_starts_on=date(2024, 5, 1),
                  programme_ends_on=date(2024, 5, 3))
    db.session.commit()
    return 2025


def test_figures_of_the_year(year):
    report = hub_report.hub_report(year, today=TODAY)
    assert (report.headline.programmes, report.headline.participants, report.headline.labs) == (1, 6, 2)
    assert report.headline.average == 8.0 and report.headline.trend is None  # 2024 has no grades
    assert rows(report, "labs_by_kind") == {"Field Lab voor teams": 1, "Speedlab": 1}
    assert rows(report, "labs_by_theme") == {"ondermijning": 1, "havens": 1}
    assert rows(report, "participants_by_organisation") == {
        "Politie Zeeland-West-Brabant": 3, "Gemeente Tilburg": 2, "Rabobank": 1}
    assert rows(report, "participants_by_sector") == {"publiek": 5, "privaat": 1}
    assert list(rows(report, "alumni").values()) == [6, 6]
    assert rows(report, "grades") == {"2024": None, "2025": 8.0}
    challenges = rows(report, "challenges")
    assert challenges["Teams"] == 2 and challenges["100-dagenchallenges afgerond (dag 100 voorbij)"] == 2
    assert challenges["Resultaten van dag 100 ingediend"] == 2
    assert challenges["Doel bereikt"] == 1 and challenges["Doel deels bereikt"] == 1
    assert challenges["Na zes maanden nog (deels) in gebruik"] == 1


def test_the_grades_per_year_stop_at_the_reports_year(year):
    """An evaluation of a later year's programme (answered already) is not in an earlier report."""
    later = {"2024": None, "2025": 8.0}
    assert rows(hub_report.hub_report(2024, today=TODAY), "grades") == {"2024": None}
    assert rows(hub_report.hub_report(year, today=TODAY), "grades") == later


def test_a_year_without_labs_has_zeroes_not_errors(year):
    report = hub_report.hub_report(2030, today=TODAY)
    assert report.headline.programmes == 0 and report.table("labs_by_kind").rows == []


def test_page_shows_headline_charts_and_tables(client, auth, seeded, year):
    auth.login(seeded.facilitator)
    response = client.get("/rapportages/hub?jaar=2025")
    assert response.status_code == 303 and response.location.endswith("/rapportages/hub/2025")
    html = client.get("/rapportages/hub/2025").get_data(as_text=True)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert "1 programma, 6 deelnemers, gemiddeld 8,0." in text
    # The second Lab is the speedlab, which the headline does not count as a programme: it says so.
    assert "Labs (alle soorten) 2 (waarvan 1 speedlab: een speedlab telt niet als programma)" in text
    # The labels of the bar charts are whole where they fit ("…" only past 38 characters).
    assert ">Politie Zeeland-West-Brabant<" in html
    assert html.count('role="img"') == len(hub_report.hub_report(2025, today=TODAY).tables)
    assert 'id="report-participants_by_organisation-table"' in html
    assert client.get("/rapportages/hub/1800").status_code == 404


def parse_csv(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))


def test_csv_and_xlsx_hold_the_same_rows_and_are_audited(client, auth, seeded, year):
    auth.login(seeded.facilitator)
    response = client.get("/rapportages/hub/2025.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    lines = parse_csv(response.data)
    assert ["Deelnemers naar sector"] in lines
    sector = lines.index(["Deelnemers naar sector"])
    assert lines[sector + 1:sector + 4] == [["Sector", "Deelnemers"], ["publiek", "5"], ["privaat", "1"]]
    assert ["2025", "8,0", "", "4"] in lines

    response = client.get("/rapportages/hub/2025.xlsx")
    workbook = load_workbook(io.BytesIO(response.data))
    assert "Deelnemers naar organisatie" in workbook.sheetnames
    # A title longer than Excel's 31 characters has a tab name of its own, not a cut one.
    assert "100-dagenchallenges" in workbook.sheetnames and "100-dagenchallenges en hun resu" not in workbook.sheetnames
    assert (workbook.properties.title, workbook.properties.creator) == ("Field Labs in 2025", "Fieldlab")
    sheet = workbook["Deelnemers naar organisatie"]
    assert [list(row) for row in sheet.iter_rows(values_only=True)] == [
        ["Organisatie", "Deelnemers"], ["Politie Zeeland-West-Brabant", 3], ["Gemeente Tilburg", 2], ["Rabobank", 1]]
    formats = [event.detail["format"] for event in db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "report_downloaded").order_by(AuditEvent.id))]
    assert formats == ["csv", "xlsx"]


def test_pdf_is_tagged_dutch_and_holds_the_figures(client, auth, seeded, year):
    auth.login(seeded.facilitator)
    response = client.get("/rapportages/hub/2025.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root and root["/Lang"] == "nl" and bool(root["/MarkInfo"]["/Marked"])
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "Field Labs in 2025" in text and "Rabobank" in text and "8,0" in text


@pytest.mark.parametrize("role", [Role.COMMISSIONER, Role.PARTICIPANT, Role.MANAGER])
def test_only_facilitators_read_the_hub_report(client, login_as, year, role):
    login_as(role)
    for path in ("/rapportages/", "/rapportages/hub/2025", "/rapportages/hub/2025.pdf",
                 "/rapportages/hub/2025.csv", "/rapportages/hub/2025.xlsx"):
        assert client.get(path).status_code == 403, path
    assert ">Rapportages</a>" not in client.get("/").get_data(as_text=True)


def test_pdf_rendering_fetches_nothing(app):
    """Every URL in the HTML is refused: the PDF is made without it, and without an error."""
    from fieldlab.reports import pdf

    body = pdf.render_pdf('<html lang="nl"><head><title>T</title><link rel="stylesheet" href="http://127.0.0.1:9/x.css">'
                          '</head><body><h1>Titel</h1><img alt="x" src="file:///etc/passwd"></body></html>',
                          base_url="http://localhost/")
    reader = PdfReader(io.BytesIO(body))
    assert "Titel" in reader.pages[0].extract_text()


def test_signals_submitted_and_answered_in_the_year(year):
    from datetime import UTC, datetime

    from fieldlab.signals import services as signals
    from tests.signals import helpers

    w = helpers.world()
    answered = helpers.complete_draft(w, now=datetime(2025, 2, 1, 10, tzinfo=UTC))
    helpers.to_submitted(w, answered, now=datetime(2025, 2, 3, 10, tzinfo=UTC))
    signals.record_offer(answered, on=date(2025, 2, 10), by=w.facilitator, now=datetime(2025, 2, 10, 10, tzinfo=UTC))
    signals.record_reaction(answered, on=date(2025, 5, 1), text="De regeling wordt aangepast.", reference="",
                            by=w.facilitator, now=datetime(2025, 5, 1, 10, tzinfo=UTC))
    waiting = helpers.complete_draft(w, now=datetime(2025, 6, 1, 10, tzinfo=UTC))
    helpers.to_submitted(w, waiting, now=datetime(2025, 6, 3, 10, tzinfo=UTC))
    helpers.complete_draft(w, now=datetime(2025, 7, 1, 10, tzinfo=UTC))  # a draft counts nowhere
    db.session.commit()
    report = hub_report.hub_report(year, today=TODAY)
    assert rows(report, "signals") == {"Ingediend in 2025": 2, "Beantwoord in 2025": 1}
