"""English is complete: what Dutch users read in Dutch, English users read in English, with dates in
European English (4 December 2026, 13:00), never the American defaults of CLDR's `en`."""

from datetime import UTC, date, datetime, timedelta

import pytest
from flask import render_template_string
from flask_babel import force_locale, format_date, format_datetime, format_time

from fieldlab.auth.models import Role
from fieldlab.evaluations import sending
from fieldlab.evaluations import services as evaluations
from fieldlab.evaluations.models import EvaluationForm
from fieldlab.extensions import db
from fieldlab.formats import machine_datetime
from fieldlab.returndays import decisions as returnday_decisions
from fieldlab.timeutil import local, utcnow
from tests.returndays.helpers import arrange_team, at, details

MOMENT = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)  # 13:00 in Amsterdam


def in_english(client):
    assert client.post("/taal", data={"locale": "en", "next": "/"}).status_code in (302, 303)


@pytest.mark.parametrize(("length", "english", "dutch"), [
    ("short", "4 Dec 2026, 13:00", "4 dec 2026, 13:00"),
    ("medium", "4 Dec 2026, 13:00", "4 dec 2026, 13:00"),
    ("long", "4 December 2026, 13:00", "4 december 2026, 13:00"),
    ("full", "Friday 4 December 2026, 13:00", "vrijdag 4 december 2026, 13:00"),
])
def test_dates_and_times_read_european_in_english(app, length, english, dutch):
    with app.test_request_context():
        with force_locale("en"):
            assert format_datetime(MOMENT, length) == english
            assert format_time(MOMENT, "short") == "13:00"
        if dutch:
            with force_locale("nl"):
                assert format_datetime(MOMENT, length) == dutch


def test_english_dates_never_put_the_month_first_in_numbers(app):
    with app.test_request_context(), force_locale("en"):
        for length in ("short", "medium", "long", "full"):
            assert format_date(date(2026, 1, 12), length).startswith(("12 ", "Monday 12 "))


@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_templates_dateformat_is_flask_babels_format_date(app, language):
    """`dateformat` keeps its parsed patterns per language and format (fieldlab.formats.format_day);
    it must write what Flask-Babel writes, for every format the templates use, and a moment is
    still moved to Amsterdam before its date is taken (23:30 UTC on 31 December is 1 January)."""
    formats = (None, "short", "medium", "long", "full", "EEE", "EEEE d MMMM y", "EEEE d MMMM", "MMMM y",
               "d MMMM y")
    values = (date(2026, 12, 4), date(2027, 1, 1), date(2026, 2, 28), datetime(2026, 12, 31, 23, 30, tzinfo=UTC))
    with app.test_request_context(), force_locale(language):
        for value in values:
            for length in formats:
                argument = f"'{length}'" if length else ""
                written = render_template_string(f"{{{{ value|dateformat({argument}) }}}}", value=value)
                assert written == format_date(value, length), (value, length)
        assert render_template_string("{{ value|dateformat('d MMMM y') }}", value=values[-1]).startswith("1 ")


def test_time_elements_carry_whole_seconds():
    assert machine_datetime(datetime(2026, 11, 4, 21, 49, 34, 72791, tzinfo=UTC)) == "2026-11-04T21:49:34+00:00"


def test_lab_kinds_on_the_new_lab_page_are_english(client, login_as):
    login_as(Role.FACILITATOR)
    in_english(client)

    page = client.get("/labs/nieuw").get_data(as_text=True)

    assert "Field Lab for teams" in page and "Field Lab voor teams" not in page


def test_default_questions_read_in_english_and_stay_dutch_in_the_database(client, auth, make):
    facilitator = make.make_user(Role.FACILITATOR)
    lab = make.make_lab(facilitators=[facilitator])
    db.session.commit()
    auth.login(facilitator)
    in_english(client)
    form = evaluations.create_form(lab=lab, by=facilitator, now=MOMENT)
    db.session.commit()

    page = client.get(f"/evaluaties/{form.id}").get_data(as_text=True)

    assert "What grade would you give the programme as a whole?" in page
    assert "Welk cijfer geeft u het programma als geheel?" not in page
    stored = db.session.get(EvaluationForm, form.id)
    assert stored.questions[0].text == "Welk cijfer geeft u het programma als geheel?"


def test_a_question_the_facilitator_wrote_is_shown_as_written(client, auth, make):
    facilitator = make.make_user(Role.FACILITATOR)
    lab = make.make_lab(facilitators=[facilitator])
    form = evaluations.create_form(lab=lab, by=facilitator, now=MOMENT)
    form.questions[0].text = "Hoe was de koffie?"
    db.session.commit()
    auth.login(facilitator)
    in_english(client)

    assert "Hoe was de koffie?" in client.get(f"/evaluaties/{form.id}").get_data(as_text=True)


def test_two_return_day_forms_with_one_title_are_told_apart_by_team_and_date(client, auth):
    setting = arrange_team(date(2025, 2, 10))
    other = arrange_team(date(2025, 2, 10))
    other.team.name = "Team Baken"
    other.team.lab = setting.lab
    for team, day in ((setting.team, date(2025, 2, 10)), (other.team, date(2025, 2, 11))):
        return_day = returnday_decisions.save_return_day(lab=setting.lab, team=team, day_number=1, details=details(day),
                                                         by=setting.facilitator, now=at(date(2025, 1, 6), 9))
        sending.return_day_form(return_day, now=MOMENT)
    db.session.commit()
    auth.login(setting.facilitator)

    page = client.get("/evaluaties/").get_data(as_text=True)
    assert page.count("Evaluatie terugkomdag dag 1") == 2 * 2  # the title and the hidden text of its link, twice
    assert "Team Lovitura · terugkomdag 10 feb 2025" in page
    assert "Team Baken · terugkomdag 11 feb 2025" in page

    in_english(client)
    page = client.get("/evaluaties/").get_data(as_text=True)
    assert "Evaluation of the return day on day 1" in page and "Evaluatie terugkomdag" not in page
    assert "Team Baken · return day 11 Feb 2025" in page
    form = db.session.scalars(db.select(EvaluationForm).where(EvaluationForm.title.endswith("dag 1"))
                              .order_by(EvaluationForm.id.desc())).first()
    results = client.get(f"/evaluaties/{form.id}/resultaten").get_data(as_text=True)
    assert "Team Baken · return day 11 Feb 2025" in results


@pytest.mark.parametrize("language", ["nl", "en"])
@pytest.mark.parametrize("length", ["short", "medium", "long", "full"])
def test_the_moment_formatter_of_lists_writes_what_datetimeformat_writes(app, language, length):
    """fieldlab.formats.moment_formatter: the patterns looked up once for a list's rows; the
    text must be that of `format_datetime` (winter and summer time, midnight, naive as UTC)."""
    from fieldlab.formats import moment_formatter

    moments = [datetime(2026, 12, 5, 0, 30, tzinfo=UTC), datetime(2027, 7, 1, 22, 59, 59, tzinfo=UTC),
               datetime(2027, 3, 28, 1, 0, tzinfo=UTC), datetime(2026, 10, 25, 0, 59)]
    with app.test_request_context(), force_locale(language):
        formatter = moment_formatter(length)
        for moment in moments:
            assert formatter(moment) == format_datetime(moment, length), moment


def test_a_meeting_time_reads_like_the_moments_beside_it_in_either_language(app):
    """Speedlabs wrote "06-12-2026 21:30 – 23:30" in both languages."""
    from fieldlab.formats import TimeSpan, time_span

    starts = datetime(2026, 12, 6, 20, 30, tzinfo=UTC)  # 21:30 in Amsterdam
    with app.test_request_context():
        with force_locale("nl"):
            assert time_span(starts, datetime(2026, 12, 6, 22, 30, tzinfo=UTC)) == "6 dec 2026, 21:30 – 23:30"
            assert time_span(starts, datetime(2026, 12, 7, 0, 30, tzinfo=UTC)) == \
                "6 dec 2026, 21:30 – 7 dec 2026, 01:30"
            span = TimeSpan(starts, datetime(2026, 12, 6, 22, 30, tzinfo=UTC))
        with force_locale("en"):
            assert str(span) == "6 Dec 2026, 21:30 – 23:30"


def test_return_days_say_confirmed_in_english_everywhere(client, auth):
    """English mixed "scheduled" (the status), "Confirmed on …" and "Record day 1" (the button)
    for the one Dutch word "vastgelegd"; "scheduled" reads like "proposed"."""
    setting = arrange_team(local(utcnow()).date() + timedelta(days=14))
    returnday_decisions.save_return_day(lab=setting.lab, team=setting.team, day_number=1,
                                        details=details(setting.team.challenge.date_of_day(1)),
                                        by=setting.facilitator, now=utcnow())
    setting.facilitator.locale = "en"
    db.session.commit()
    auth.login(setting.facilitator)
    in_english(client)
    page = client.get(f"/terugkomdagen/team/{setting.team.id}").get_data(as_text=True)
    assert "<strong>confirmed</strong>" in page and "Confirm day 50" in page
    assert "scheduled" not in page and "Record day" not in page
