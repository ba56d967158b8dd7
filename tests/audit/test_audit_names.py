"""The audit log names what it is about (organisations, Labs, teams, return days; the roles before
and after), in a number of statements that does not grow with the page; it stays append-only; and
it exports to CSV for an auditor (filters kept, streamed, audited, safe in a spreadsheet)."""

import csv
import io
import re
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import event, select

import fieldlab
from fieldlab.audit import services as audit
from fieldlab.audit.models import AuditEvent
from fieldlab.auth.models import Role
from fieldlab.boards import card_changes
from fieldlab.expertise.models import ExpertiseTag
from fieldlab.extensions import db
from fieldlab.speedlabs.models import Phase
from tests import factories
from tests.speedlabs.helpers import make_speedlab


def rows_of(response) -> str:
    return response.get_data(as_text=True).split("<tbody>", 1)[1].split("</tbody>", 1)[0]


def test_the_log_names_organisations_labs_teams_and_the_roles_before_and_after(client, login_as, make):
    facilitator = login_as(Role.FACILITATOR, name="Fenna Feit")
    organisation = make.make_organisation("Gemeente Voorbeeldstad")
    lab = make.make_lab(name="Field Lab Ondermijning 2026", facilitators=[facilitator])
    team = make.make_team(lab, name="Team Haven")
    person = make.make_user(Role.PARTICIPANT, name="Sam Subject")
    db.session.flush()
    at = datetime(2026, 3, 2, 9, tzinfo=UTC)
    audit.record("organisation_added", actor=facilitator, obj=organisation, now=at)
    audit.record("lab_changed", actor=facilitator, obj=lab, now=at)
    audit.record("team_created", actor=facilitator, obj=team, now=at)
    audit.record("participant_removed", actor=facilitator, obj=lab, subject_user=person, now=at)
    audit.record("roles_changed", actor=facilitator, subject_user=person, now=at,
                 before=["participant"], after=["manager", "participant"])
    audit.record("lab_changed", actor=facilitator, now=at, obj=type("Lab", (), {"id": 987654})())
    db.session.commit()

    rows = rows_of(client.get("/logboek/"))
    assert "Organisatie: Gemeente Voorbeeldstad" in rows
    assert "Lab: Field Lab Ondermijning 2026" in rows
    assert "Team: Team Haven (Field Lab Ondermijning 2026)" in rows
    assert "Sam Subject · Lab: Field Lab Ondermijning 2026" in rows
    assert "van deelnemer naar leidinggevende, deelnemer" in rows
    assert "Lab (verwijderd)" in rows
    assert not re.search(r"\b(organisation|lab|team) \d+", rows), "no bare type and id"


def test_the_log_names_speedlabs_cards_and_tags_and_which_round_started(client, login_as, make):
    """Speedlab rows said "speedlabsession" and a card "boardcard" under Betreft, and a round's
    start did not say which round."""
    facilitator = login_as(Role.FACILITATOR)
    speedlab = make_speedlab(facilitator, title="Speedlab recreatieparken")
    team = make.make_team(make.make_lab(), members=[make.make_user(Role.PARTICIPANT)], starts_on=datetime(
        2026, 3, 2, tzinfo=UTC).date())
    card = card_changes.add_card(team.challenge, title="Huurders informeren", description="",
                                 owner_id=team.memberships[0].user_id, by=facilitator, now=datetime.now(UTC))
    tag = ExpertiseTag(label="Havenlogistiek", key="havenlogistiek")
    db.session.add(tag)
    db.session.flush()
    at = datetime(2026, 3, 2, 9, tzinfo=UTC)
    audit.record("speedlab_round_started", actor=facilitator, obj=speedlab, now=at, phase=str(Phase.VOTING.value))
    audit.record("speedlab_idea_to_card", actor=facilitator, obj=card, now=at)
    audit.record("tag_merged", actor=facilitator, obj=tag, now=at)
    db.session.commit()
    rows = rows_of(client.get("/logboek/"))
    assert "Speedlab: Speedlab recreatieparken" in rows and "stemronde" in rows
    assert "Kaart: Huurders informeren" in rows and "Expertise: Havenlogistiek" in rows
    assert "speedlabsession" not in rows and "boardcard" not in rows and "expertisetag" not in rows


def test_english_readers_read_the_same_in_english(client, login_as, make):
    facilitator = login_as(Role.FACILITATOR, locale="en")
    person = make.make_user(Role.PARTICIPANT, name="Sam Subject")
    audit.record("roles_changed", actor=facilitator, subject_user=person, before=["participant"],
                 after=["facilitator"])
    db.session.commit()
    client.post("/taal", data={"locale": "en"})
    rows = rows_of(client.get("/logboek/"))
    assert "from participant to facilitator" in rows


def _statements(client, url) -> int:
    count = 0

    def counter(*args):
        nonlocal count
        count += 1

    event.listen(db.engine, "before_cursor_execute", counter)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", counter)
    return count


def _events_about_many_things(facilitator, make, number: int) -> None:
    for index in range(number):
        lab = make.make_lab(name=f"Lab {number}-{index}", facilitators=[facilitator])
        team = make.make_team(lab, name=f"Team {number}-{index}")
        organisation = make.make_organisation(f"Organisatie {number}-{index}")
        db.session.flush()
        audit.record("team_created", actor=facilitator, obj=team)
        audit.record("lab_changed", actor=facilitator, obj=lab)
        audit.record("organisation_added", actor=facilitator, obj=organisation)
    db.session.commit()


def test_names_cost_one_statement_per_page_whatever_the_page_holds(client, login_as, make):
    facilitator = login_as(Role.FACILITATOR)
    _events_about_many_things(facilitator, make, 2)
    few = _statements(client, "/logboek/")
    _events_about_many_things(facilitator, make, 12)
    many = _statements(client, "/logboek/")
    assert many == few


def test_the_log_is_append_only_nothing_offers_to_change_or_remove_a_row(app):
    """No route of the log takes anything but GET, and no code in the app updates or deletes
    audit rows (the model promises it; this keeps the promise checked), except erasure, which
    replaces an erased person's name in event details by their pseudonym."""
    methods = {method for rule in app.url_map.iter_rules() if rule.endpoint.startswith("audit.")
               for method in rule.methods} - {"HEAD", "OPTIONS"}
    assert methods == {"GET"}
    package = Path(fieldlab.__file__).parent
    # The one exception, on purpose: erasure (AVG) replaces the erased person's name and address in
    # the details of events with their pseudonym (privacy/erasure.py, `_scrub_audit_details`).
    erasure = package / "privacy" / "erasure.py"
    source = "\n".join(path.read_text() for path in package.rglob("*.py") if path != erasure)
    forbidden = [r"update\(AuditEvent", r"delete\(AuditEvent", r"AuditEvent\.__table__\.(update|delete)",
                 r"audit_event\b[^\n]*\b(UPDATE|DELETE)", r"(UPDATE|DELETE FROM) audit_event"]
    for pattern in forbidden:
        assert not re.search(pattern, source), pattern
    scrub = erasure.read_text()
    assert "event.detail = detail" in scrub and not re.search(r"delete\(AuditEvent|session\.delete\(event", scrub)


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_csv_export_keeps_the_filters_is_streamed_audited_and_safe_in_a_spreadsheet(client, login_as, make):
    facilitator = login_as(Role.FACILITATOR, name="Fenna Feit")
    trickster = make.make_user(Role.PARTICIPANT, name='=HYPERLINK("http://evil.example","klik")')
    organisation = make.make_organisation("+31 Gemeente")
    audit.record("user_deactivated", actor=facilitator, subject_user=trickster,
                 now=datetime(2026, 3, 2, 9, tzinfo=UTC))
    audit.record("organisation_added", actor=facilitator, obj=organisation, now=datetime(2026, 3, 3, 9, tzinfo=UTC))
    audit.record("login", actor=facilitator, now=datetime(2026, 5, 1, 9, tzinfo=UTC))
    db.session.commit()

    response = client.get("/logboek/export.csv?van=2026-03-01&tot=2026-03-31")
    assert response.status_code == 200
    assert response.is_streamed
    assert response.mimetype == "text/csv"
    assert re.search(r'filename="fieldlab-logboek-\d{4}-\d{2}-\d{2}\.csv"', response.headers["Content-Disposition"])
    header, *rows = _csv(response)
    assert header == ["Wanneer", "Handeling", "Code", "Door", "Betreft", "Details"]
    assert [row[2] for row in rows] == ["organisation_added", "user_deactivated"], "the filter is kept"
    assert rows[0][4] == "Organisatie: +31 Gemeente"  # not a formula: starts with a letter
    assert rows[1][4].startswith("'=HYPERLINK"), "a formula is made text"
    assert rows[1][0] == "2026-03-02 10:00:00", "local time"
    exported = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "audit_exported"))
    assert exported.actor_id == facilitator.id
    assert exported.detail == {"date_from": "2026-03-01", "date_to": "2026-03-31"}


def test_csv_export_speaks_english_to_an_english_reader_and_is_for_facilitators_only(app, client, login_as):
    login_as(Role.FACILITATOR)
    client.post("/taal", data={"locale": "en"})
    response = client.get("/logboek/export.csv")
    assert _csv(response)[0] == ["When", "Action", "Code", "By", "Concerning", "Details"]
    assert "fieldlab-audit-log-" in response.headers["Content-Disposition"]

    other = app.test_client()
    participant = factories.make_user(Role.PARTICIPANT)
    db.session.commit()
    other.post("/inloggen", data={"email": participant.email, "password": factories.PASSWORD})
    assert other.get("/logboek/export.csv").status_code == 403


def test_a_formula_cell_is_always_made_text():
    for dangerous in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert audit.csv_safe(dangerous) == "'" + dangerous
    assert audit.csv_safe("Gemeente") == "Gemeente"
    assert audit.csv_safe(None) == ""


