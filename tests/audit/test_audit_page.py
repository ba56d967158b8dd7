from datetime import UTC, datetime

from fieldlab.audit import services as audit
from fieldlab.auth.models import Role
from fieldlab.extensions import db


def rows_of(response) -> str:
    """The table body only: the filter's select lists every action name too."""
    return response.get_data(as_text=True).split("<tbody>", 1)[1].split("</tbody>", 1)[0]


def test_audit_page_filters_by_person_action_and_period(client, login_as, make):
    facilitator = login_as(Role.FACILITATOR, name="Fenna Filter")
    someone = make.make_user(Role.PARTICIPANT, name="Sam Subject")
    audit.record("roles_changed", actor=facilitator, subject_user=someone, now=datetime(2026, 3, 2, 9, tzinfo=UTC))
    audit.record("user_deactivated", actor=facilitator, subject_user=someone,
                 now=datetime(2026, 6, 1, 9, tzinfo=UTC))
    db.session.commit()

    page = rows_of(client.get(f"/logboek/?persoon={someone.id}&van=2026-03-01&tot=2026-03-31"))
    assert "rollen gewijzigd" in page
    assert "account gedeactiveerd" not in page

    page = rows_of(client.get("/logboek/?actie=user_deactivated"))
    assert "account gedeactiveerd" in page
    assert "rollen gewijzigd" not in page


def test_period_is_in_local_days(app, make):
    person = make.make_user()
    # 23:30 UTC on 31 March is 1 April 01:30 in Amsterdam (summer time).
    audit.record("login", actor=person, now=datetime(2026, 3, 31, 23, 30, tzinfo=UTC))
    db.session.flush()
    april = audit.events_page(audit.AuditFilter(date_from=datetime(2026, 4, 1).date()), page=1)
    march = audit.events_page(audit.AuditFilter(date_to=datetime(2026, 3, 31).date()), page=1)
    assert [event.action for event in april.items] == ["login"]
    assert march.items == []


def test_bad_dates_in_the_filter_are_ignored_not_a_500(client, login_as):
    facilitator = login_as(Role.FACILITATOR, name="Fenna Filter")
    audit.record("roles_changed", actor=facilitator, now=datetime(2026, 3, 2, 9, tzinfo=UTC))
    db.session.commit()
    response = client.get("/logboek/?van=gisteren&tot=2026-13-45&persoon=abc")
    assert response.status_code == 200
    rows = rows_of(response)
    assert "rollen gewijzigd" in rows and "ingelogd" in rows  # no period, no person: every row
    assert rows == rows_of(client.get("/logboek/"))


def test_every_recorded_action_has_a_dutch_label(app):
    """The audit page shows labels, not codes: every `record("...")` in the code has one."""
    import re
    from pathlib import Path

    import fieldlab

    source = "\n".join(path.read_text() for path in Path(fieldlab.__file__).parent.rglob("*.py"))
    recorded = set(re.findall(r'\brecord\(\s*"([a-z_]+)"', source))
    assert recorded, "no record() calls found"
    assert sorted(recorded - set(audit.ACTION_LABELS)) == []
