"""AVG: a Lab's personal data goes RETENTION_MONTHS after day 100; a person can see and erase theirs."""

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from fieldlab.audit.models import AuditEvent
from fieldlab.auth.models import Role, User
from fieldlab.evaluations import services as evaluations
from fieldlab.evaluations.models import EvaluationResponse
from fieldlab.extensions import db
from fieldlab.mail.models import OutboxMessage
from fieldlab.mail.services import queue_message
from fieldlab.privacy import jobs, services
from fieldlab.returndays.models import Invitation, InviteeRole, ReturnDay
from tests import factories

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)


@pytest.fixture
def finished_lab(app):
    """A Lab whose one team started on 1 March 2024: day 100 is 8 June 2024."""
    facilitator = factories.make_user(Role.FACILITATOR)
    members = [factories.make_user(Role.PARTICIPANT, name=f"Oud Lid {n}", level="policy",
                                   expertise=["vastgoed"]) for n in range(3)]
    lab = factories.make_lab(name="Lab 2024", facilitators=[facilitator], programme_starts_on=date(2024, 2, 1),
                             programme_ends_on=date(2024, 2, 3))
    team = factories.make_team(lab, members=members, name="Team Oud", starts_on=date(2024, 3, 1))
    return_day = ReturnDay(lab=lab, team=team, day_number=100, status="confirmed",
                           starts_at=datetime(2024, 6, 10, 8, tzinfo=UTC), ends_at=datetime(2024, 6, 10, 14, tzinfo=UTC))
    return_day.invitations.append(Invitation(email="wethouder@example.org", name="Wethouder", role=InviteeRole.STAKEHOLDER))
    db.session.add(return_day)
    queue_message(key="privacy-test", to=members[0].email, template="password_reset", user=members[0],
                  link="http://x", hours=2)
    db.session.commit()
    return lab, team, members, facilitator


def test_purge_date_is_retention_after_day_100(app, finished_lab):
    lab, *_ = finished_lab
    assert services.day_100(lab) == date(2024, 6, 8)
    assert services.purge_date(lab) == date(2026, 6, 8)
    assert services.add_months(date(2024, 8, 31), 6) == date(2025, 2, 28)


def test_nothing_is_purged_before_the_date(app, finished_lab):
    assert services.purge_due(now=NOW, today=date(2026, 6, 7)) == []
    assert db.session.scalar(select(func.count()).select_from(User).where(User.name.like("Oud Lid%"))) == 3


def test_the_retention_run_anonymises_participants_and_removes_stakeholder_addresses(app, finished_lab):
    lab, team, members, facilitator = finished_lab
    # One member takes part in a later Lab: their data stays, for that Lab.
    later = factories.make_lab(name="Lab 2026", programme_starts_on=date(2026, 10, 1),
                               programme_ends_on=date(2026, 10, 3))
    factories.add_participant(later, members[2])
    form = evaluations.create_form(lab=lab, anonymous=False, now=NOW)
    db.session.add(EvaluationResponse(form_id=form.id, anonymous=False, user_id=members[0].id, submitted_at=NOW))
    db.session.commit()

    assert jobs.purge_expired(now=NOW) == 1
    db.session.commit()

    gone, kept = members[:2], members[2]
    for person in gone:
        db.session.refresh(person)
        assert person.name.startswith("Oud-deelnemer") and person.email.endswith("@geanonimiseerd.invalid")
        assert person.password_hash is None and not person.active and person.profile.expertise == []
    db.session.refresh(kept)
    assert kept.name == "Oud Lid 2"
    db.session.refresh(facilitator)
    assert facilitator.active  # staff are not participants
    # The stakeholder's invitation (name and address, no account) is gone.
    assert db.session.scalar(select(Invitation).where(Invitation.role == InviteeRole.STAKEHOLDER)) is None
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    # The grade stays, without the name; the team's work and the Lab stay.
    response = db.session.scalar(select(EvaluationResponse))
    assert response.user_id is None and response.anonymous
    # The team stays; the anonymised leave its member list, the one in a later Lab stays in it.
    db.session.refresh(team)
    assert team.name == "Team Oud" and [m.user_id for m in team.memberships] == [kept.id]
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "privacy_purged")).detail == {
        "people": 2, "stakeholder_addresses": 1}
    # A second run finds nothing left to do.
    assert jobs.purge_expired(now=NOW + timedelta(days=1)) == 0


def test_facilitator_sees_the_planned_purges(client, auth, finished_lab):
    lab, _, _, facilitator = finished_lab
    auth.login(facilitator)
    page = client.get("/privacy/").get_data(as_text=True)
    assert "Lab 2024" in page and "8 jun 2026" in page


def test_export_holds_what_the_app_knows_about_a_person(client, auth, finished_lab, today):
    lab, team, members, facilitator = finished_lab
    auth.login(facilitator)
    response = client.get(f"/privacy/persoon/export.json?persoon={members[0].id}")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.get_data(as_text=True))
    assert response.headers["Content-Disposition"].endswith(f'filename="fieldlab-inzage-{today.isoformat()}.json"')
    assert data["account"]["email"] == members[0].email
    assert data["teams"] == [{"team": "Team Oud", "lab": "Lab 2024", "role": "member"}]
    assert data["profile"]["expertise"] == ["vastgoed"]
    assert data["messages"][0]["subject"]
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "person_exported")).subject_user_id == \
        members[0].id


def test_erasing_a_person_needs_confirmation_and_then_they_cannot_log_in(app, client, auth, finished_lab):
    _, _, members, facilitator = finished_lab
    person = members[1]
    old_email = person.email
    auth.login(facilitator)

    client.post(f"/privacy/persoon/wissen?persoon={person.id}")
    db.session.refresh(person)
    assert person.name == "Oud Lid 1"  # not without the tick

    response = client.post(f"/privacy/persoon/wissen?persoon={person.id}", data={"bevestigen": "ja"})
    assert response.status_code == 303
    db.session.refresh(person)
    assert person.name.startswith("Oud-deelnemer")
    other = app.test_client()
    assert other.post("/inloggen", data={"email": old_email, "password": factories.PASSWORD}).status_code == 422


@pytest.mark.parametrize("role", [Role.PARTICIPANT, Role.COMMISSIONER, Role.MANAGER])
def test_privacy_pages_are_for_facilitators_only(client, login_as, role, finished_lab):
    _, _, members, _ = finished_lab
    login_as(role)
    assert client.get("/privacy/").status_code == 403
    assert client.get(f"/privacy/persoon/export.json?persoon={members[0].id}").status_code == 403


def test_the_privacy_page_counts_what_the_purge_would_touch(app, finished_lab):
    """The page counts in bulk; the purge decides per Lab. Both must agree, Lab by Lab."""
    from fieldlab.labs.models import Lab
    from fieldlab.scale import add_labs

    lab, team, members, facilitator = finished_lab
    later = factories.make_lab(name="Lab 2026", programme_starts_on=date(2026, 10, 1),
                               programme_ends_on=date(2026, 10, 3))
    factories.add_participant(later, members[2])
    factories.add_participant(lab, facilitator)  # a facilitator is never anonymised
    add_labs(3, today=date(2026, 11, 1))
    db.session.commit()

    rows = services.purge_plans_page(page=1).items
    assert {row.lab_id for row in rows} == set(db.session.scalars(select(Lab.id)))
    for row in rows:
        lab_of_row = db.session.get(Lab, row.lab_id)
        assert (row.day_100, row.purge_on) == (services.day_100(lab_of_row), services.purge_date(lab_of_row))
        assert row.people == len(services.people_to_anonymise(lab_of_row)), lab_of_row.name
        assert row.stakeholder_addresses == (len(services._stakeholder_invitations(lab_of_row))
                                             + len(services._guest_invitations(lab_of_row)))
    assert [row.people for row in rows if row.lab_id == lab.id] == [2]
    assert [row.purge_on for row in rows] == sorted(row.purge_on for row in rows)
