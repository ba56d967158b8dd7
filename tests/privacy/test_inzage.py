"""Inzage a person can read: per part of the app, in their language, Dutch local time, codes as
words, what each part is, why and how long it is kept; as a page and as a tagged PDF; file names
without ids; every export audited; for oneself and, by a facilitator, for someone else."""

import io
import json
from datetime import UTC, date, datetime

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from fieldlab.audit.models import AuditEvent
from fieldlab.auth.models import Role
from fieldlab.boards.models import ProgressUpdate
from fieldlab.extensions import db
from fieldlab.returndays.models import Invitation, InviteeRole, ReturnDay
from tests import factories


@pytest.fixture
def person(app):
    facilitator = factories.make_user(Role.FACILITATOR, name="Fien Facilitator")
    person = factories.make_user(Role.PARTICIPANT, name="Petra Deelnemer", level="execution",
                                 expertise=["vastgoed"])
    lab = factories.make_lab(name="Lab Inzage", facilitators=[facilitator])
    team = factories.make_team(lab, members=[person], name="Team Inzage", starts_on=date(2026, 9, 1))
    # 23:30 UTC on 26 November is 00:30 on 27 November in Amsterdam.
    db.session.add(ProgressUpdate(challenge_id=team.challenge.id, author_id=person.id, status="on_track",
                                  went_well="Goede start", created_at=datetime(2026, 11, 26, 23, 30, tzinfo=UTC)))
    return_day = ReturnDay(lab=lab, team=team, day_number=50, status="confirmed",
                           starts_at=datetime(2026, 10, 20, 8, tzinfo=UTC), ends_at=datetime(2026, 10, 20, 14, tzinfo=UTC))
    return_day.invitations.append(Invitation(user_id=person.id, email=person.email, role=InviteeRole.MEMBER,
                                             response="yes"))
    db.session.add(return_day)
    db.session.commit()
    return facilitator, person


def test_the_facilitator_reads_the_inzage_of_a_person_as_a_page(client, auth, person):
    facilitator, petra = person
    auth.login(facilitator)
    page = client.get(f"/privacy/persoon/inzage?persoon={petra.id}").get_data(as_text=True)
    for heading in ("Uw account", "Uw profiel", "Labs", "Teams", "Teambord", "Voortgangsupdates", "Terugkomdagen",
                    "Evaluaties", "Speedlabs", "Berichten", "Logboek"):
        assert f">{heading}</h2>" in page, heading
    assert "Wat is dit" in page and "Waarom bewaren we dit" in page and "Hoe lang" in page
    # Codes as words, dates in Amsterdam time, return days by what they are.
    assert "op koers" in page and "on_track" not in page and "uitvoering" in page and "teamlid" in page
    assert "27 november 2026" in page and "00:30" in page
    assert "Dag 50 van Lab Inzage" in page and ">Ja<" in page
    assert "Team Inzage" in page and "vastgoed" in page
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "person_exported"))
    assert event.actor_id == facilitator.id and event.subject_user_id == petra.id and event.detail == {"format": "page"}


def test_the_inzage_is_in_english_for_a_person_who_reads_english(client, auth, person):
    facilitator, petra = person
    petra.locale = "en"
    db.session.commit()
    auth.login(facilitator)
    page = client.get(f"/privacy/persoon/inzage?persoon={petra.id}").get_data(as_text=True)
    assert 'lang="en"' in page and "Your account" in page and "on track" in page and "27 November 2026" in page


def test_the_pdf_is_tagged_and_named_without_ids(client, auth, person, today):
    facilitator, petra = person
    auth.login(facilitator)
    response = client.get(f"/privacy/persoon/inzage.pdf?persoon={petra.id}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == \
        f'attachment; filename="fieldlab-inzage-{today.isoformat()}.pdf"'
    reader = PdfReader(io.BytesIO(response.data))
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "nl" and "/StructTreeRoot" in root and root["/MarkInfo"]["/Marked"]
    text = "".join(page.extract_text() for page in reader.pages)
    assert "Petra Deelnemer" in text and "op koers" in text and "Waarom bewaren we dit" in text
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "person_exported")).detail == {
        "format": "pdf"}


def test_a_person_reads_and_downloads_their_own_data(client, auth, person, today):
    _, petra = person
    auth.login(petra)
    assert "Mijn gegevens inzien" in client.get("/account").get_data(as_text=True)
    page = client.get("/privacy/mijn-gegevens")
    assert page.status_code == 200 and "Petra Deelnemer" in page.get_data(as_text=True)
    data = client.get("/privacy/mijn-gegevens.json")
    assert data.headers["Content-Disposition"].endswith(f'fieldlab-inzage-{today.isoformat()}.json"')
    exported = json.loads(data.get_data(as_text=True))
    assert exported["account"]["name"] == "Petra Deelnemer" and "id" not in exported["account"]
    assert exported["return_day_invitations"][0]["lab"] == "Lab Inzage"
    assert client.get("/privacy/mijn-gegevens.pdf").data.startswith(b"%PDF")
    formats = [event.detail["format"] for event in db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "person_exported").order_by(AuditEvent.id))]
    assert formats == ["page", "json", "pdf"]
    assert all(event.actor_id == petra.id == event.subject_user_id for event in db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "person_exported")))


@pytest.mark.parametrize("role", [Role.PARTICIPANT, Role.COMMISSIONER, Role.MANAGER])
def test_only_facilitators_read_someone_elses(client, login_as, person, role):
    _, petra = person
    login_as(role)
    for url in ("/privacy/persoon/inzage", "/privacy/persoon/inzage.pdf", "/privacy/persoon/export.json"):
        assert client.get(f"{url}?persoon={petra.id}").status_code == 403
    own = client.get("/privacy/mijn-gegevens")
    assert own.status_code == 200 and "<h1>Uw gegevens in Fieldlab</h1>" in own.get_data(as_text=True)
    assert petra.name not in own.get_data(as_text=True)  # their own data, not the person asked about
