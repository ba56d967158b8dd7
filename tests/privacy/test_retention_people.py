"""The retention page per person (who goes when, with a search) and postponing one person's purge:
with a reason, audited, shown, and respected by the nightly run until the new date."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from fieldlab.audit.models import AuditEvent
from fieldlab.auth.models import Role, User
from fieldlab.extensions import db
from fieldlab.labs.models import Lab
from fieldlab.privacy import jobs, services
from fieldlab.privacy.models import RetentionPostponement
from tests import factories

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)
TODAY = date(2026, 11, 26)


@pytest.fixture
def labs(app):
    """Lab 2024 (day 100 on 8 June 2024: purged on 8 June 2026) and Lab 2025 (day 100 on 8 June
    2025: purged on 8 June 2027), and a Lab still to start."""
    facilitator = factories.make_user(Role.FACILITATOR, name="Fien Facilitator")
    police = factories.make_organisation("Politie Oost", short_name="POL")
    old = factories.make_lab(name="Lab 2024", facilitators=[facilitator])
    newer = factories.make_lab(name="Lab 2025", facilitators=[facilitator])
    future = factories.make_lab(name="Lab 2027")
    anna = factories.make_user(Role.PARTICIPANT, name="Anna Oud", organisation=police)
    bert = factories.make_user(Role.PARTICIPANT, name="Bert Beide")
    cees = factories.make_user(Role.PARTICIPANT, name="Cees Toekomst")
    factories.make_team(old, members=[anna, bert], name="Team 2024", starts_on=date(2024, 3, 1))
    factories.make_team(newer, members=[bert], name="Team 2025", starts_on=date(2025, 3, 1))
    factories.add_participant(future, cees)
    db.session.commit()
    return facilitator, anna, bert, cees


def test_the_page_lists_each_person_with_the_date_they_go_soonest_first(app, labs):
    facilitator, anna, bert, cees = labs
    rows = services.retention_people_page(None, page=1).items
    assert [(row.user.name, row.anonymised_on) for row in rows] == [
        ("Anna Oud", date(2026, 6, 8)), ("Bert Beide", date(2027, 6, 8)), ("Cees Toekomst", None)]
    assert rows[1].labs == ["Lab 2024", "Lab 2025"]


@pytest.mark.parametrize("search, found", [("anna", ["Anna Oud"]), ("Politie oost", ["Anna Oud"]),
                                           ("POL", ["Anna Oud"]), ("@example.org", ["Anna Oud", "Bert Beide",
                                                                                   "Cees Toekomst"]),
                                           ("niemand", [])])
def test_the_search_finds_people_by_name_address_or_organisation(app, labs, search, found):
    assert [row.user.name for row in services.retention_people_page(search, page=1).items] == found


def test_the_page_shows_who_when_and_searches_without_javascript(client, auth, labs):
    facilitator, anna, bert, cees = labs
    auth.login(facilitator)
    page = client.get("/privacy/").get_data(as_text=True)
    assert "Anna Oud" in page and "8 jun 2026" in page and "8 jun 2027" in page and "nog niet bekend" in page
    found = client.get("/privacy/?wie=Toekomst").get_data(as_text=True)
    section = found[found.index('id="privacy-retention"'):found.index("Geplande opschoning per Lab")]
    assert "Cees Toekomst" in section and "Anna Oud" not in section


def test_the_page_is_paged(app, client, auth, labs):
    facilitator = labs[0]
    lab = db.session.scalar(select(Lab).where(Lab.name == "Lab 2027"))
    for number in range(55):
        factories.add_participant(lab, factories.make_user(Role.PARTICIPANT, name=f"Veel Mensen {number:02}"))
    db.session.commit()
    auth.login(facilitator)
    first = client.get("/privacy/?wie=Veel").get_data(as_text=True)
    assert "1–50 van 55" in first and "wie_pagina=2" in first
    second = client.get("/privacy/?wie=Veel&wie_pagina=2").get_data(as_text=True)
    assert "Veel Mensen 54" in second and "Veel Mensen 00" not in second


def test_a_postponement_needs_a_future_date_and_a_reason(client, auth, labs, today):
    facilitator, anna, *_ = labs
    auth.login(facilitator)
    url = f"/privacy/persoon/uitstellen?persoon={anna.id}"
    response = client.post(url, data={"until": "", "reason": "Klacht loopt"})
    assert response.status_code == 422 and "Vul een datum in." in response.get_data(as_text=True)
    response = client.post(url, data={"until": "2020-01-01", "reason": "Klacht loopt"})
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "Kies een datum na vandaag." in body and "Klacht loopt" in body
    response = client.post(url, data={"until": (today + timedelta(days=30)).isoformat(), "reason": "  "})
    assert response.status_code == 422 and "Schrijf op waarom" in response.get_data(as_text=True)
    assert db.session.scalar(select(RetentionPostponement)) is None


def test_a_postponement_is_audited_shown_and_can_be_withdrawn(client, auth, labs, today):
    facilitator, anna, *_ = labs
    auth.login(facilitator)
    until = today + timedelta(days=90)
    response = client.post(f"/privacy/persoon/uitstellen?persoon={anna.id}",
                           data={"until": until.isoformat(), "reason": "Lopende klacht bij de AP"})
    assert response.status_code == 303
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "retention_postponed"))
    assert event.actor_id == facilitator.id and event.subject_user_id == anna.id
    assert event.detail == {"until": until.isoformat(), "reason": "Lopende klacht bij de AP"}
    page = client.get("/privacy/").get_data(as_text=True)
    assert "Lopende klacht bij de AP" in page
    person = client.get(f"/privacy/persoon?persoon={anna.id}").get_data(as_text=True)
    assert "Lopende klacht bij de AP" in person and "Fien Facilitator" in person
    assert "opschoning van een persoon uitgesteld" in client.get("/logboek/").get_data(as_text=True)

    assert client.post(f"/privacy/persoon/uitstel-intrekken?persoon={anna.id}").status_code == 303
    assert db.session.scalar(select(RetentionPostponement)) is None
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "retention_postponement_ended"))


def test_the_purge_skips_a_postponed_person_until_the_new_date_then_takes_them(app, labs):
    facilitator, anna, bert, cees = labs
    services.postpone(anna, until=date(2027, 1, 15), reason="Klacht", by=facilitator, now=NOW, today=TODAY)
    db.session.commit()

    # 26 November 2026: Lab 2024 is past its date (8 June 2026); Anna is postponed.
    assert jobs.purge_expired(now=NOW) == 1
    db.session.commit()
    assert db.session.get(User, anna.id).name == "Anna Oud"
    purged = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "privacy_purged"))
    assert purged.detail == {"people": 0, "stakeholder_addresses": 0, "postponed": 1}
    # Every night until the 14th of January: nothing.
    for night in (date(2026, 12, 31), date(2027, 1, 14)):
        moment = datetime.combine(night, datetime.min.time(), tzinfo=UTC) + timedelta(hours=3)
        assert jobs.purge_expired(now=moment) == 0
        db.session.commit()
    assert db.session.get(User, anna.id).name == "Anna Oud"
    # The night of the 15th: gone, audited, the postponement with them.
    assert jobs.purge_expired(now=datetime(2027, 1, 15, 2, 30, tzinfo=UTC)) == 1
    db.session.commit()
    anna = db.session.get(User, anna.id)
    assert anna.name.startswith("Oud-deelnemer") and anna.erased_at is not None
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "retention_person_purged")
                             ).subject_user_id == anna.id
    assert db.session.scalar(select(RetentionPostponement)) is None
    # Bert is in Lab 2025 too (retention until 8 June 2027) and Cees's Lab has no date: both stay.
    assert db.session.get(User, bert.id).name == "Bert Beide"
    assert jobs.purge_expired(now=datetime(2027, 1, 16, 2, 30, tzinfo=UTC)) == 0


def test_a_postponement_shorter_than_the_retention_changes_nothing(app, labs):
    facilitator, anna, bert, cees = labs
    services.postpone(bert, until=date(2027, 1, 1), reason="Klacht", by=facilitator, now=NOW, today=TODAY)
    row = next(row for row in services.retention_people_page("Bert", page=1).items)
    assert row.anonymised_on == date(2027, 6, 8)
    assert jobs.purge_expired(now=datetime(2027, 1, 2, 2, 30, tzinfo=UTC)) == 1  # Lab 2024 only
    assert db.session.get(User, bert.id).name == "Bert Beide"


@pytest.mark.parametrize("role", [Role.PARTICIPANT, Role.COMMISSIONER, Role.MANAGER])
def test_only_facilitators_postpone(client, login_as, labs, role):
    anna = labs[1]
    login_as(role)
    response = client.post(f"/privacy/persoon/uitstellen?persoon={anna.id}",
                           data={"until": "2030-01-01", "reason": "x"})
    assert response.status_code == 403
    assert db.session.scalar(select(RetentionPostponement)) is None
