"""No mail about the past: each step kind's lateness rule, messages withdrawn from the outbox when
their day began or was cancelled while SMTP was down, and the `fieldlab planning` preview."""

from datetime import date, timedelta

from sqlalchemy import select

from fieldlab.evaluations import sending
from fieldlab.extensions import db
from fieldlab.mail import sender
from fieldlab.mail.models import MessageStatus
from fieldlab.returndays import decisions, jobs, rsvp, steps
from fieldlab.returndays.models import JobKind, Response, ReturnDayJob
from fieldlab.timeutil import local, utcnow
from tests.returndays.helpers import arrange_team, at, details, keys, outbox


def _day_50(now, day=date(2025, 3, 31), members=2):
    setting = arrange_team(date(2025, 2, 10), members=members)
    return_day = decisions.save_return_day(lab=setting.lab, team=setting.team, day_number=50, details=details(day),
                                           by=setting.facilitator, now=now)
    db.session.commit()
    return setting, return_day


def _step(return_day, kind):
    return next(step for step in return_day.jobs if step.kind == kind)


def test_an_invitation_whose_day_has_begun_is_skipped_not_sent(app):
    setting, return_day = _day_50(at(date(2025, 1, 6), 9))
    assert jobs.run_due(at(date(2025, 3, 31), 10, 30)) != []
    assert keys() == []
    step = _step(return_day, JobKind.INVITE)
    assert step.status == "skipped" and step.skip_label == "de terugkomdag was al begonnen"
    assert step.run_count == 1


def test_a_practical_reminder_later_than_its_day_is_skipped(app):
    setting, return_day = _day_50(at(date(2025, 1, 6), 9))
    jobs.run_due(at(date(2025, 3, 10), 9))
    for invitation in return_day.invitations:
        rsvp.record_response(invitation, response=Response.YES, remark="", now=at(date(2025, 3, 11), 9))
    db.session.commit()
    jobs.run_due(at(date(2025, 3, 26), 9))
    # The scheduler was down on Sunday the 30th; it comes back at 07:00 on the day itself.
    jobs.run_due(at(date(2025, 3, 31), 7))
    assert _step(return_day, JobKind.PRACTICAL).skip_reason == "step_day_passed"
    assert not [key for key in keys() if key.startswith("practical:")]


def test_an_evaluation_request_is_not_sent_for_a_closed_form_or_after_its_period(app):
    setting, return_day = _day_50(at(date(2025, 1, 6), 9))
    form = sending.return_day_form(return_day, now=at(date(2025, 3, 31), 12))
    sending.close_form(form, now=at(date(2025, 3, 31), 15))
    db.session.commit()
    jobs.run_due(at(date(2025, 3, 31), 16))
    assert _step(return_day, JobKind.EVALUATION).skip_reason == "form_closed"
    assert not [key for key in keys() if key.startswith("evaluation:")]

    setting, later = _day_50(at(date(2025, 1, 6), 9), members=1)
    db.session.delete(form)
    db.session.commit()
    step = _step(later, JobKind.EVALUATION)
    assert steps.rule_for(step).too_late(later, step, step.run_at + timedelta(days=13)) is None
    assert steps.rule_for(step).too_late(later, step, step.run_at + timedelta(days=14)) == "deadline_passed"


def test_queued_messages_are_withdrawn_when_the_day_began_or_was_cancelled(app, smtp_server):
    """SMTP was down for two days: what was queued for a day that has begun, or was cancelled in the
    meantime, is withdrawn instead of sent; the cancellation itself goes."""
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_server.port)
    setting, began = _day_50(at(date(2025, 3, 28), 9), day=date(2025, 3, 31), members=1)
    other = decisions.save_return_day(lab=setting.lab, team=setting.team, day_number=100,
                                      details=details(date(2025, 4, 30)), by=setting.facilitator,
                                      now=at(date(2025, 4, 20), 9))
    db.session.commit()
    assert len(keys()) == 8  # both days' invitations went out at once (their moment had passed)
    decisions.cancel_return_day(other, by=setting.facilitator, now=at(date(2025, 4, 20), 10))
    db.session.commit()

    assert sender.deliver_due(now=at(date(2025, 4, 21), 9)) == 4  # the four cancellations of day 100
    withdrawn = [message for message in outbox() if message.status == MessageStatus.WITHDRAWN]
    assert sorted({message.withdrawn_reason for message in withdrawn}) == [
        "de terugkomdag is afgelast", "de terugkomdag was al begonnen"]
    assert len(withdrawn) == 8
    assert all(message["X-Fieldlab-Key"].startswith("cancel:") for message in smtp_server.messages)


def test_the_outbox_shows_a_withdrawn_message_and_why(app, client, auth, smtp_server):
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_server.port)
    setting, return_day = _day_50(at(date(2025, 3, 28), 9), members=1)
    sender.deliver_due(now=at(date(2025, 3, 31), 11))
    auth.login(setting.facilitator)
    page = client.get("/uitgaande-berichten/?status=withdrawn").get_data(as_text=True)
    assert page.count("ingetrokken") >= 4 and "de terugkomdag was al begonnen" in page


def test_planning_lists_what_each_step_would_send_without_sending(app, runner):
    today = local(utcnow()).date()
    setting = arrange_team(today - timedelta(days=20), members=2)
    decisions.save_return_day(lab=setting.lab, team=setting.team, day_number=50,
                              details=details(today + timedelta(days=30)), by=setting.facilitator, now=utcnow())
    db.session.commit()
    result = runner.invoke(args=["planning", "--tot", (today + timedelta(days=30)).isoformat()])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any("uitnodiging: 5 personen" in line for line in lines)
    assert any("herinnering aan wie nog niet antwoordde: 5 personen" in line for line in lines)
    assert any("verzoek aan het team om het bord bij te werken: 2 personen" in line for line in lines)
    assert any("evaluatieverzoek: 2 personen" in line for line in lines)  # at the day's end, still on --tot
    assert "5 stappen" in result.output
    assert keys() == []
    assert all(step.pending for step in db.session.scalars(select(ReturnDayJob)))


def test_planning_says_which_steps_would_be_skipped(app, runner):
    today = local(utcnow()).date()
    setting = arrange_team(today - timedelta(days=60), members=1)
    decisions.save_return_day(lab=setting.lab, team=setting.team, day_number=50,
                              details=details(today - timedelta(days=1)), by=setting.facilitator,
                              now=utcnow() - timedelta(days=40))
    db.session.commit()
    result = runner.invoke(args=["planning", "--tot", today.isoformat()])
    assert result.output.count("overgeslagen (te laat): de terugkomdag was al begonnen") == 3
    assert "evaluatieverzoek: 1 persoon" in result.output
