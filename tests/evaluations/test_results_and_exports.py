"""Results per form (only from 3 respondents), the annual figures across Labs, and the exports."""

import csv
import io
from datetime import date

from openpyxl import load_workbook
from sqlalchemy import select

from fieldlab.audit.models import AuditEvent
from fieldlab.auth.models import Role
from fieldlab.evaluations import aggregation, answering, sending, services
from fieldlab.extensions import db
from tests.evaluations.conftest import answers_for


def answer(programme, grades, *, aspects="7", takeaway="Netwerk"):
    sending.create_requests(programme.form, sending.recipient_ids(programme.form), now=programme.now)
    for number, (person, grade) in enumerate(zip(programme.participants, grades, strict=False)):
        request = sending.request_for_user(programme.form, person)
        answering.submit_response(request, answers_for(programme.form, overall=grade, aspects=aspects,
                                                      takeaway=f"{takeaway} {number}"), now=programme.now)
    db.session.commit()


def close(programme):
    programme.form.closed_at = programme.now
    db.session.commit()


def test_two_respondents_show_no_results_and_say_why(client, auth, programme, now):
    answer(programme, ["9", "4"])
    result = aggregation.form_results(programme.form, now=now)
    assert not result.shown and result.overall is None and result.comments == []
    auth.login(programme.facilitator)
    page = client.get(f"/evaluaties/{programme.form.id}/resultaten").get_data(as_text=True)
    assert "Resultaten verschijnen pas vanaf 3 reacties" in page
    assert "Netwerk" not in page and "Verdeling van het totaalcijfer" not in page
    assert client.get(f"/evaluaties/{programme.form.id}/export.csv").status_code == 404


def test_three_respondents_show_average_median_histogram_aspects(programme, now):
    answer(programme, ["9", "6", "8"], aspects="7")
    close(programme)
    result = aggregation.form_results(programme.form, now=now)
    assert result.shown and result.responded == 3 and result.asked == 5
    assert result.response_rate == 60
    assert result.overall.average == 7.7 and result.overall_median == 8
    assert dict(result.histogram) == {1: 0, 2: 0, 3: 0, 4: 0, 5: 0, 6: 1, 7: 0, 8: 1, 9: 1, 10: 0}
    assert [aspect.average for aspect in result.aspects] == [7, 7, 7, 7]
    assert len(result.comments[0].texts) == 3
    assert all(name is None for _text, name in result.comments[0].texts)  # anonymous: no names


def test_anonymous_comments_wait_for_the_form_to_close_and_never_come_in_arrival_order(client, auth, programme, now):
    """Comments typed 'Netwerk 0', 'Netwerk 1', … in that order were listed in that order, so a
    reader who watched the count could match them to people. While the form is open they (and
    the export) wait; once it is closed they come in a fixed order that does not follow arrival."""
    answer(programme, ["9", "6", "8", "7", "8"])
    auth.login(programme.facilitator)
    page = client.get(f"/evaluaties/{programme.form.id}/resultaten").get_data(as_text=True)
    assert "Netwerk" not in page
    assert "verschijnen als het formulier gesloten is" in page
    assert "7,6" in page  # the grades are there (average overall grade)
    assert client.get(f"/evaluaties/{programme.form.id}/export.csv").status_code == 404

    close(programme)
    page = client.get(f"/evaluaties/{programme.form.id}/resultaten").get_data(as_text=True)
    shown = [f"Netwerk {n}" for n in sorted(range(5), key=lambda n: page.index(f"Netwerk {n}"))]
    arrival = [f"Netwerk {n}" for n in range(5)]
    assert sorted(shown) == arrival
    assert shown != arrival and shown != arrival[::-1]
    result = aggregation.form_results(programme.form, now=now)
    assert [text for text, _name in result.comments[0].texts] == shown


def parse_csv(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))


def test_csv_and_xlsx_of_an_anonymous_form_have_no_personal_data_and_are_audited(client, auth, programme):
    answer(programme, ["9", "6", "8"])
    close(programme)
    auth.login(programme.facilitator)
    form_id = programme.form.id

    response = client.get(f"/evaluaties/{form_id}/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = parse_csv(response.data)
    assert rows[0][0] == "Formulierversie"
    assert rows[0][1] == "Welk cijfer geeft u het programma als geheel?"
    assert len(rows) == 4 and sorted(row[1] for row in rows[1:]) == ["6", "8", "9"]

    response = client.get(f"/evaluaties/{form_id}/export.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    table = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert table[0][:2] == ["Formulierversie", "Welk cijfer geeft u het programma als geheel?"]
    assert sorted(row[1] for row in table[1:]) == [6, 8, 9]

    csv_text = "\n".join(";".join(row) for row in rows)
    xlsx_text = "\n".join(";".join(str(cell) for cell in row) for row in table)
    for person in programme.participants:
        for personal in (person.email, person.name):
            assert personal not in csv_text and personal not in xlsx_text
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "evaluation_exported")).all()
    assert sorted(event.detail["format"] for event in events) == ["csv", "xlsx"]
    assert all(event.actor_id == programme.facilitator.id and event.object_id == form_id for event in events)


def test_export_of_a_named_form_carries_the_names(client, auth, programme):
    programme.form.anonymous = False
    db.session.commit()
    answer(programme, ["9", "6", "8"])
    auth.login(programme.facilitator)
    rows = parse_csv(client.get(f"/evaluaties/{programme.form.id}/export.csv").data)
    assert rows[0][:3] == ["Naam", "Ingevuld op", "Formulierversie"]
    assert sorted(row[0] for row in rows[1:]) == ["Deelnemer 1", "Deelnemer 2", "Deelnemer 3"]


def test_decimal_grades_export_with_a_decimal_comma(client, auth, programme, now):
    overall = next(q for q in programme.form.active_questions if q.is_overall)
    services.edit_question(overall, kind="grade", text=overall.text, is_overall=True, allow_decimal=True)
    answer(programme, ["8,5", "7", "9,5"])
    close(programme)
    auth.login(programme.facilitator)
    rows = parse_csv(client.get(f"/evaluaties/{programme.form.id}/export.csv").data)
    assert sorted(row[1] for row in rows[1:]) == ["7,0", "8,5", "9,5"]
    assert aggregation.form_results(programme.form, now=now).overall.average == 8.3


def test_annual_figures_per_year_with_trend(client, auth, make, programme, now):
    answer(programme, ["9", "8", "8", "9"])  # 2024: average 8.5
    earlier = make.make_lab(name="Field Lab 2023", programme_starts_on=date(2023, 5, 1))
    people = [make.make_user(Role.PARTICIPANT) for _ in range(3)]
    for person in people:
        make.add_participant(earlier, person)
    form = services.create_form(lab=earlier, now=now)
    sending.create_requests(form, [p.id for p in people], now=now)
    for person in people:
        answering.submit_response(sending.request_for_user(form, person), answers_for(form, overall="8"), now=now)
    make.make_lab(name="Speedlab", kind="speedlab", programme_starts_on=date(2024, 3, 1))
    db.session.commit()

    years = aggregation.annual_figures()
    assert [(y.year, y.programmes, y.participants, y.responses, y.average, y.trend) for y in years] == [
        (2023, 1, 3, 3, 8.0, None),
        (2024, 1, 5, 4, 8.5, 0.5),
    ]
    auth.login(programme.facilitator)
    page = client.get("/evaluaties/jaaroverzicht").get_data(as_text=True)
    assert "1 programma, 5 deelnemers, 4 reacties" in page and "gemiddeld 8,5" in page
    assert "+0,5" in page
    assert page.count("<svg") == 2 and "Gemiddeld totaalcijfer per jaar" in page


def test_annual_average_hidden_below_three_responses(programme):
    answer(programme, ["9", "8"])
    (year,) = aggregation.annual_figures()
    assert year.responses == 2 and year.average is None
