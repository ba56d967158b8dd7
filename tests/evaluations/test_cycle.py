"""The whole cycle: the scheduled request job mails a link, people answer without logging in, a
reminder goes to the rest after 5 days, the form closes at its deadline, and the result page shows it."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from fieldlab.evaluations import answering, jobs, sending, services
from fieldlab.evaluations.models import EvaluationRequest, EvaluationResponse
from fieldlab.extensions import db
from fieldlab.home.services import dashboard_for
from fieldlab.mail.models import OutboxMessage
from fieldlab.returndays import decisions, invitations, rsvp
from fieldlab.scheduler import create_scheduler
from tests.evaluations.conftest import PROGRAMME_END, answers_for, link_from_outbox, path_of
from tests.returndays.helpers import arrange_team, at, details


def outbox_count(suffix: str) -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.idempotency_key.like(f"%:{suffix}")))


def test_scheduled_request_to_result_page(app, client, auth, programme, now):
    form_id = programme.form.id
    assert jobs.request_evaluations(form_id, now=now) == 5
    db.session.commit()
    assert outbox_count("request") == 5
    # Running the job again (a restart, a second scheduler) sends nothing twice.
    jobs.request_evaluations(form_id, now=now + timedelta(minutes=1))
    db.session.commit()
    assert outbox_count("request") == 5

    for person, grade in zip(programme.participants[:4], ["9", "8", "7", "8"], strict=True):
        link = link_from_outbox(person.email)
        page = client.get(path_of(link))
        assert page.status_code == 200
        assert "Deze evaluatie is anoniem" in page.get_data(as_text=True)
        response = client.post(path_of(link), data=answers_for(programme.form, overall=grade))
        assert response.status_code == 303, response.get_data(as_text=True)
        assert response.headers["Location"].endswith("/evaluatie/bedankt")

    assert jobs.remind_non_responders(form_id, now=now + timedelta(days=4)) == 0
    assert jobs.remind_non_responders(form_id, now=now + timedelta(days=5)) == 1
    assert jobs.remind_non_responders(form_id, now=now + timedelta(days=6)) == 0
    db.session.commit()
    reminder = db.session.scalars(select(OutboxMessage).where(OutboxMessage.idempotency_key.like("%:reminder"))).one()
    assert reminder.recipient == programme.participants[4].email

    jobs.close_form(form_id, now=now + timedelta(days=14))
    db.session.commit()
    late = client.get(path_of(link_from_outbox(programme.participants[4].email)))
    assert late.status_code == 410
    assert "Deze evaluatie is gesloten" in late.get_data(as_text=True)

    auth.login(programme.facilitator)
    page = client.get(f"/evaluaties/{form_id}/resultaten").get_data(as_text=True)
    assert "80%" in page  # 4 of 5 answered
    assert "8,0" in page  # average overall grade (9 + 8 + 7 + 8) / 4
    assert "Verdeling van het totaalcijfer" in page
    assert "Meer samenwerken met de Belastingdienst." in page
    assert "<svg" in page and 'role="img"' in page


def test_form_closes_lazily_at_its_deadline_without_the_job(app, client, programme):
    sending.create_requests(programme.form, sending.recipient_ids(programme.form), now=PROGRAMME_END)
    db.session.commit()
    link = link_from_outbox(programme.participants[0].email)
    assert programme.form.deadline_at == PROGRAMME_END + timedelta(days=14)
    assert programme.form.is_open(PROGRAMME_END + timedelta(days=13, hours=23))
    assert not programme.form.is_open(PROGRAMME_END + timedelta(days=14))
    assert programme.form.closed_at is None
    # The real clock is long past June 2024's deadline: the link refuses without any job having run.
    assert client.get(path_of(link)).status_code == 410


def test_scheduling_adds_three_jobs_with_deterministic_ids(app, programme):
    scheduler = create_scheduler(app)  # never started: jobs stay pending, nothing runs
    send_at = sending.programme_end(programme.lab)
    ids = sending.schedule_evaluation_jobs(scheduler, programme.form, send_at=send_at)
    sending.schedule_evaluation_jobs(scheduler, programme.form, send_at=send_at)  # replaces, no duplicates
    form_id = programme.form.id
    assert ids == {"request": f"evaluation:{form_id}:request", "remind": f"evaluation:{form_id}:remind",
                   "close": f"evaluation:{form_id}:close"}
    jobs_by_id = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs_by_id) == set(ids.values())
    request_job = jobs_by_id[ids["request"]]
    assert request_job.args == ("fieldlab.evaluations.jobs:request_evaluations", form_id)
    assert request_job.trigger.run_date == send_at
    assert jobs_by_id[ids["remind"]].trigger.run_date == send_at + timedelta(days=5)
    assert jobs_by_id[ids["close"]].trigger.run_date == send_at + timedelta(days=14)
    assert send_at == PROGRAMME_END  # 17:00 in Amsterdam in June is 15:00 UTC


def test_return_day_form_asks_the_people_the_caller_passes(app, make, programme, now):

    setting = arrange_team(date(2025, 2, 10))
    return_day = decisions.save_return_day(lab=setting.lab, team=setting.team, day_number=1,
                                            details=details(date(2025, 2, 10)), by=setting.facilitator,
                                            now=at(date(2025, 1, 6), 9))
    form = services.create_form(return_day_id=return_day.id, lab=setting.lab, by=setting.facilitator, now=now)
    invitees = setting.members[:1]
    assert sending.recipient_ids(form) == []
    sending.create_requests(form, [person.id for person in invitees], now=now)
    db.session.commit()
    assert {r.user_id for r in db.session.scalars(select(EvaluationRequest).where(
        EvaluationRequest.form_id == form.id))} == {person.id for person in invitees}
    # The scheduled job then keeps to the same people.
    assert jobs.request_evaluations(form.id, now=now) == 1


def test_a_return_day_that_ends_asks_its_team_members_who_did_not_decline(app):
    from fieldlab.returndays.models import Response

    setting = arrange_team(date(2025, 2, 10), members=3)
    return_day = decisions.save_return_day(lab=setting.lab, team=setting.team, day_number=1,
                                            details=details(date(2025, 2, 10)), by=setting.facilitator,
                                            now=at(date(2025, 1, 6), 9))
    invitations.sync_invitees(return_day, now=at(date(2025, 1, 6), 9))
    declined = next(i for i in return_day.invitations if i.user_id == setting.members[0].id)
    rsvp.record_response(declined, response=Response.NO, remark="", now=at(date(2025, 1, 7), 9))

    form = sending.request_return_day_evaluation(return_day, now=at(date(2025, 2, 10), 16))
    db.session.commit()

    asked = {r.user_id for r in db.session.scalars(select(EvaluationRequest).where(EvaluationRequest.form_id == form.id))}
    assert asked == {person.id for person in setting.members[1:]}
    assert form.return_day_id == return_day.id
    # The manager, the opdrachtgever and the facilitator are not asked: they did not take part.
    assert setting.manager.id not in asked and setting.commissioner.id not in asked
    # The mail names the return day (team, day number, date), not the programme's evaluation.
    [request_mail] = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.recipient == setting.members[1].email, OutboxMessage.idempotency_key.like("%:request"))).all()
    assert request_mail.subject == "Uw mening over de terugkomdag van dag 1 van Team Lovitura op 10 februari 2025"
    assert "de terugkomdag van dag 1 van Team Lovitura op 10 februari 2025" in request_mail.body_text
    assert setting.lab.name not in request_mail.subject


def test_facilitator_sends_now_with_the_button(app, client, auth, programme):
    auth.login(programme.facilitator)
    page = client.get(f"/evaluaties/{programme.form.id}").get_data(as_text=True)
    assert "Evaluatie nu versturen" in page and "Verstuur nu een e-mail aan 5 personen" in page
    # Mail cannot be called back: the button alone does not send.
    unticked = client.post(f"/evaluaties/{programme.form.id}/versturen")
    assert unticked.status_code == 422
    assert "Vink aan dat de evaluatie nu verstuurd mag worden." in unticked.get_data(as_text=True)
    assert outbox_count("request") == 0
    response = client.post(f"/evaluaties/{programme.form.id}/versturen", data={"bevestigd": "ja"},
                           follow_redirects=True)
    assert "De evaluatie is verstuurd naar 5 personen." in response.get_data(as_text=True)
    assert outbox_count("request") == 5


def test_logged_in_participant_finds_open_evaluation_on_home_page(app, client, auth, programme):
    sending.create_requests(programme.form, sending.recipient_ids(programme.form), now=services.utcnow())
    db.session.commit()
    person = programme.participants[0]
    auth.login(person)
    home = client.get("/").get_data(as_text=True)
    assert "Open evaluaties" in home
    answer_url = f"/evaluaties/{programme.form.id}/invullen"
    assert answer_url in home
    assert client.post(answer_url, data=answers_for(programme.form)).status_code == 303
    assert "Open evaluaties" not in client.get("/").get_data(as_text=True)
    assert client.get(answer_url).status_code == 200
    assert "Uw antwoorden zijn al ontvangen" in client.get(answer_url).get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(EvaluationResponse)) == 1


def test_home_lists_each_open_evaluation_as_its_form_says_and_leaves_the_others_out(app):
    """Home's lines are rows, not forms: each names what `form_subject` names (the Lab; for a
    return day's form its team and date too), soonest deadline first; a form past its deadline,
    closed, or answered by this person is not listed (`EvaluationForm.is_open`, in SQL)."""
    setting = arrange_team(date(2025, 2, 10), members=2)
    person = setting.members[0]
    return_day = decisions.save_return_day(lab=setting.lab, team=setting.team, day_number=1,
                                            details=details(date(2025, 2, 10)), by=setting.facilitator,
                                            now=at(date(2025, 1, 6), 9))
    asked = at(date(2025, 2, 10), 16)
    day_form = services.create_form(return_day_id=return_day.id, lab=setting.lab, title="Terugkomdag", now=asked)
    programme_form = services.create_form(lab=setting.lab, title="Programma", now=asked)
    late_form = services.create_form(lab=setting.lab, title="Verlopen", now=asked)
    closed_form = services.create_form(lab=setting.lab, title="Gesloten", now=asked)
    answered_form = services.create_form(lab=setting.lab, title="Beantwoord", now=asked)
    for form in (day_form, programme_form, late_form, closed_form, answered_form):
        sending.create_requests(form, [person.id], now=asked)
    day_form.deadline_at, programme_form.deadline_at = asked + timedelta(days=3), asked + timedelta(days=9)
    late_form.deadline_at = asked + timedelta(hours=2)
    closed_form.closed_at = asked + timedelta(hours=1)
    sending.request_for_user(answered_form, person).used = True
    db.session.commit()

    lines = dashboard_for(person, today=date(2025, 2, 11), now=asked + timedelta(hours=3)).open_evaluations
    assert [line.title for line in lines] == ["Terugkomdag", "Programma"]
    assert [line.subject for line in lines] == [sending.form_subject(day_form), sending.form_subject(programme_form)]
    assert lines[0].subject == f"{setting.lab.name} · {setting.team.name} · terugkomdag 10 feb 2025"
    assert lines[1].subject == f"{setting.lab.name} · programma"
    assert [line.form_id for line in lines] == [day_form.id, programme_form.id]
    # At its deadline a form is closed (`is_closed`): the line goes.
    assert [line.title for line in dashboard_for(person, today=date(2025, 2, 13),
                                                 now=day_form.deadline_at).open_evaluations] == ["Programma"]


def test_missing_and_invalid_answers_show_dutch_errors_and_keep_input(app, client, programme):
    sending.create_requests(programme.form, sending.recipient_ids(programme.form), now=services.utcnow())
    db.session.commit()
    path = path_of(link_from_outbox(programme.participants[0].email))
    data = answers_for(programme.form, overall="11", takeaway="Dit wil ik bewaren")
    content = next(q for q in programme.form.active_questions if q.key == "content")
    data.pop(content.field_name)
    response = client.post(path, data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert page.count("Kies een cijfer van 1 tot en met 10.") >= 2
    assert "Dit wil ik bewaren" in page
    assert 'value="7" id="q' in page and "checked" in page
    assert db.session.scalar(select(func.count()).select_from(EvaluationResponse)) == 0
    assert db.session.scalar(select(EvaluationRequest.used).where(
        EvaluationRequest.user_id == programme.participants[0].id)) is False


def test_overall_grade_with_one_decimal_when_the_facilitator_allows_it(app, client, programme):
    overall = next(q for q in programme.form.active_questions if q.is_overall)
    services.edit_question(overall, kind="grade", text=overall.text, help_text="", required=True,
                           is_overall=True, allow_decimal=True)
    sending.create_requests(programme.form, sending.recipient_ids(programme.form), now=services.utcnow())
    db.session.commit()
    path = path_of(link_from_outbox(programme.participants[0].email))
    response = client.post(path, data=answers_for(programme.form, overall="8,55"))
    assert response.status_code == 422
    assert "hoogstens één cijfer achter de komma" in response.get_data(as_text=True)
    assert client.post(path, data=answers_for(programme.form, overall="8,5")).status_code == 303
    stored = db.session.scalar(select(func.max(services.EvaluationAnswer.grade)))
    assert stored == 8.5


def test_grades_are_whole_or_one_decimal_between_1_and_10():
    assert answering.parse_grade("8", allow_decimal=False) == 8.0
    assert answering.parse_grade("8,5", allow_decimal=False) is None
    assert answering.parse_grade("8,5", allow_decimal=True) == 8.5
    assert answering.parse_grade("10.0", allow_decimal=True) == 10.0
    for bad in ("0", "0,9", "10,1", "abc", "nan", "inf", ""):
        assert answering.parse_grade(bad, allow_decimal=True) is None


@pytest.mark.parametrize("app_config", [{"SERVER_NAME": None, "BASE_URL": "https://fieldlab.example"}])
def test_request_job_builds_links_without_a_request_or_server_name(app, programme, now):
    jobs.request_evaluations(programme.form.id, now=now)
    link = link_from_outbox(programme.participants[0].email)
    assert link.startswith("https://fieldlab.example/evaluatie/")
