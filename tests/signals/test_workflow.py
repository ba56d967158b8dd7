"""The Loket's steps as a state machine, the history and audit, and the follow-ups in time:
the 3-month reminder (monthly after), the 6-month effect question, once each across restarts."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from fieldlab import followups
from fieldlab.audit.models import AuditEvent
from fieldlab.extensions import db
from fieldlab.followups.models import FollowUpStep
from fieldlab.mail.models import OutboxMessage
from fieldlab.signals import services
from fieldlab.signals.models import Signal, SignalStatus
from fieldlab.signals.statemachine import TRANSITIONS, TransitionError
from tests.conftest import make_test_app
from tests.signals.helpers import NOW, complete_draft, to_consultation, to_submitted, world


def outbox(template_word: str) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.idempotency_key.contains(template_word))
                                   .order_by(OutboxMessage.id)))


def test_every_status_has_its_transitions_in_one_place():
    assert set(TRANSITIONS) == set(SignalStatus)
    assert all(set(targets) <= set(SignalStatus) for targets in TRANSITIONS.values())


def test_an_incomplete_draft_cannot_go_to_the_loket_and_says_why(app):
    w = world()
    signal = complete_draft(w, misuse_explanation="kort", representative_email="")
    db.session.commit()
    with pytest.raises(TransitionError) as refused:
        services.ask_loket_advice(signal, by=w.anna, now=NOW)
    reasons = " ".join(map(str, refused.value.reasons))
    assert "Leg uit hoe het juridische proces" in reasons and "strategisch vertegenwoordiger" in reasons
    db.session.rollback()
    assert db.session.get(Signal, signal.id).status == SignalStatus.CONCEPT


def test_steps_out_of_order_are_refused(app):
    w = world()
    signal = complete_draft(w)
    with pytest.raises(TransitionError):
        services.move(signal, SignalStatus.OFFERED, by=w.facilitator, now=NOW)
    with pytest.raises(TransitionError):
        services.confirm_submission(signal, by=None, now=NOW)


def test_the_whole_route_writes_history_with_who_and_when_and_audit_events(app):
    w = world()
    signal = complete_draft(w)
    to_submitted(w, signal)
    services.record_offer(signal, on=date(2027, 3, 1), by=w.facilitator, now=NOW)
    later = NOW + timedelta(days=40)
    services.record_reaction(signal, on=later.date(), text="De ministers passen de regeling aan.", reference="",
                             by=w.facilitator, now=later)
    services.record_closed(signal, on=later.date(), by=w.facilitator, now=later)
    db.session.commit()
    history = [(event.from_status, event.to_status, event.who) for event in signal.events]
    assert history == [
        ("", "concept", "Anna Lid"),
        ("concept", "loket_advice", "Anna Lid"),
        ("loket_advice", "consultation", "Fenna Facilitator"),
        ("consultation", "submitted", "Rita Vertegenwoordiger"),
        ("submitted", "offered", "Fenna Facilitator"),
        ("offered", "reaction", "Fenna Facilitator"),
        ("reaction", "closed", "Fenna Facilitator"),
    ]
    assert signal.events[-1].at == later
    audited = db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "signal")).all()
    assert audited.count("signal_status_changed") == 6 and "signal_created" in audited


def test_the_loket_advice_no_and_consultation_changes_send_the_draft_back(app):
    w = world()
    signal = complete_draft(w)
    services.ask_loket_advice(signal, by=w.anna, now=NOW)
    services.record_loket_advice(signal, advice="Eerst de feiten aanvullen.", fits=False, by=w.facilitator, now=NOW)
    assert signal.status == SignalStatus.CONCEPT
    to_consultation(w, signal)
    services.record_consultation(signal, on=NOW.date(), outcome="changes", notes="Cijfers kloppen niet.",
                                 by=w.facilitator, now=NOW)
    assert signal.status == SignalStatus.CONCEPT and signal.events[-1].note == "Cijfers kloppen niet."


def test_confirmed_facts_mail_the_representative_a_signed_link_once(app):
    w = world()
    signal = complete_draft(w)
    to_consultation(w, signal)
    services.record_consultation(signal, on=NOW.date(), outcome="confirmed", notes="", by=w.facilitator, now=NOW)
    services.request_confirmation(signal, now=NOW)
    db.session.commit()
    [message] = outbox(":confirm:")
    assert message.recipient == "rita@riec.example"
    token = message.body_text.split("/signalen/bevestigen/")[1].split()[0]
    assert services.signal_for_confirmation(token).id == signal.id
    assert COMPLETE_FACTS not in message.body_text, "need to know: no case content in mail"


COMPLETE_FACTS = "katvangers"


def reminder_steps(signal):
    return followups.steps_for(services.REMINDER, signal.id)


def test_three_months_after_the_offer_without_reaction_the_facilitator_is_reminded_then_monthly(app):
    w = world()
    signal = complete_draft(w)
    to_submitted(w, signal)
    services.record_offer(signal, on=date(2027, 3, 1), by=w.facilitator, now=NOW)
    db.session.commit()
    [step] = reminder_steps(signal)
    assert step.due_at == datetime(2027, 6, 1, 7, 0, tzinfo=UTC), "09:00 in Amsterdam (summer time)"

    assert followups.run_due(datetime(2027, 5, 31, 12, tzinfo=UTC))["done"] == []
    assert followups.run_due(datetime(2027, 6, 1, 7, 0, tzinfo=UTC))["done"] == [f"signal_reminder:{signal.id}:m3"]
    [reminder] = outbox("signal_reminder")
    assert reminder.recipient == w.facilitator.email, "the Lab's facilitator, not every facilitator"
    assert "3 maanden" in reminder.body_text
    followups.run_due(datetime(2027, 6, 20, tzinfo=UTC))
    assert len(outbox("signal_reminder")) == 1, "nothing twice"
    followups.run_due(datetime(2027, 7, 1, 8, tzinfo=UTC))
    assert len(outbox("signal_reminder")) == 2 and "4 maanden" in outbox("signal_reminder")[1].body_text


def test_a_reaction_recorded_cancels_the_reminder(app):
    w = world()
    signal = complete_draft(w)
    to_submitted(w, signal)
    services.record_offer(signal, on=date(2027, 3, 1), by=w.facilitator, now=NOW)
    services.record_reaction(signal, on=date(2027, 5, 20), text="", reference="Kenmerk 2027-123",
                             by=w.facilitator, now=datetime(2027, 5, 20, 12, tzinfo=UTC))
    db.session.commit()
    followups.run_due(datetime(2027, 9, 1, tzinfo=UTC))
    assert outbox("signal_reminder") == []
    [step] = reminder_steps(signal)
    assert (step.status, step.reason) == ("skipped", "De reactie is ontvangen.")


def test_after_downtime_one_reminder_goes_out_and_the_next_is_in_the_future(app):
    w = world()
    signal = complete_draft(w)
    to_submitted(w, signal)
    services.record_offer(signal, on=date(2027, 3, 1), by=w.facilitator, now=NOW)
    db.session.commit()
    followups.run_due(datetime(2027, 8, 15, tzinfo=UTC))
    assert len(outbox("signal_reminder")) == 1
    pending = [step for step in reminder_steps(signal) if step.pending]
    assert [step.due_at.date() for step in pending] == [date(2027, 9, 1)]


def test_reminder_runs_once_across_a_scheduler_restart(app, database_url, tmp_path):
    w = world()
    signal = complete_draft(w)
    to_submitted(w, signal)
    services.record_offer(signal, on=date(2027, 3, 1), by=w.facilitator, now=NOW)
    db.session.commit()
    moment = datetime(2027, 6, 1, 8, tzinfo=UTC)
    followups.run_due(moment)
    signal_id = signal.id
    db.session.remove()
    restarted = make_test_app(database_url, tmp_path / "restarted")
    with restarted.app_context():
        assert followups.run_due(moment + timedelta(hours=1))["done"] == []
        assert len(outbox("signal_reminder")) == 1
        assert [s.status for s in followups.steps_for(services.REMINDER, signal_id)] == ["done", "pending"]
        db.session.remove()
        db.engine.dispose()


def closed_signal(w):
    signal = complete_draft(w)
    to_submitted(w, signal)
    services.record_offer(signal, on=date(2027, 3, 1), by=w.facilitator, now=NOW)
    at = datetime(2027, 4, 10, 10, tzinfo=UTC)
    services.record_reaction(signal, on=at.date(), text="Antwoord.", reference="", by=w.facilitator, now=at)
    services.record_closed(signal, on=at.date(), by=w.facilitator, now=at)
    db.session.commit()
    return signal


def test_six_months_after_closing_the_indieners_are_asked_the_effect_once_across_a_restart(app, database_url,
                                                                                            tmp_path):
    w = world()
    signal = closed_signal(w)
    [step] = followups.steps_for(services.EFFECT, signal.id)
    assert step.due_at == datetime(2027, 10, 10, 7, 0, tzinfo=UTC)
    followups.run_due(datetime(2027, 10, 9, tzinfo=UTC))
    assert outbox("signal_effect") == []
    followups.run_due(datetime(2027, 10, 10, 7, 0, tzinfo=UTC))
    assert sorted(m.recipient for m in outbox("signal_effect")) == ["indiener@riec.example", "tweede@gemeente.example"]
    db.session.remove()
    restarted = make_test_app(database_url, tmp_path / "restarted")
    with restarted.app_context():
        followups.run_due(datetime(2027, 10, 11, tzinfo=UTC))
        assert len(outbox("signal_effect")) == 2
        db.session.remove()
        db.engine.dispose()


def test_the_effect_answer_is_stored_on_the_signal(app):
    w = world()
    signal = closed_signal(w)
    followups.run_due(datetime(2027, 10, 10, 8, tzinfo=UTC))
    message = outbox("signal_effect")[0]
    token = message.body_text.split("/signalen/effect/")[1].split()[0]
    found, email = services.signal_for_effect(token)
    services.record_effect(found, answer="De regeling is aangepast.", email=email,
                           now=datetime(2027, 10, 12, tzinfo=UTC))
    db.session.commit()
    assert signal.status == SignalStatus.EFFECT
    assert "De regeling is aangepast." in signal.effect_answer
    assert signal.events[-1].by_name == email


def test_counts_for_the_hub_report(app):
    w = world()
    complete_draft(w)
    closed_signal(w)
    db.session.commit()
    assert services.counts() == {"submitted": 1, "answered": 1}
    assert services.counts(year=2027) == {"submitted": 1, "answered": 1}
    assert services.counts(year=2026) == {"submitted": 0, "answered": 0}


def test_overview_shows_submitted_signals_and_own_drafts_with_who_it_waits_on(app):
    w = world()
    draft = complete_draft(w)
    submitted = complete_draft(w)
    to_submitted(w, submitted)
    db.session.commit()
    mine = {row.signal.id: row.waiting_on for row in services.overview(w.facilitator, now=NOW)}
    theirs = {row.signal.id for row in services.overview(w.other_facilitator, now=NOW)}
    assert set(mine) == {draft.id, submitted.id}
    assert theirs == {submitted.id}
    assert "opstellers" in mine[draft.id] and "aanbieden" in mine[submitted.id]
    assert db.session.scalar(select(FollowUpStep)) is None


def test_the_database_refuses_a_status_outside_the_state_machine(app):
    w = world()
    signal = complete_draft(w)
    db.session.commit()
    signal.status = "vergeten"
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_dates_that_cannot_be_are_refused_next_to_their_field(app):
    """A review meeting whose outcome is recorded has taken place; a signal is offered after it was
    submitted; the reaction is passed on after it came in."""
    w = world()
    signal = complete_draft(w, now=NOW)
    to_consultation(w, signal, now=NOW)
    tomorrow = NOW.date() + timedelta(days=1)
    with pytest.raises(services.SignalError) as refused:
        services.record_consultation(signal, on=tomorrow, outcome="confirmed", notes="", by=w.facilitator, now=NOW)
    assert refused.value.field == "on" and "in de toekomst" in str(refused.value.message)
    services.record_consultation(signal, on=NOW.date(), outcome="confirmed", notes="", by=w.facilitator, now=NOW)
    later = NOW + timedelta(days=10)
    services.confirm_submission(signal, by=None, now=later)
    with pytest.raises(services.SignalError) as refused:
        services.record_offer(signal, on=NOW.date(), by=w.facilitator, now=later + timedelta(days=5))
    assert "vóór het definitief indienen" in str(refused.value.message)
    services.record_offer(signal, on=later.date(), by=w.facilitator, now=later + timedelta(days=5))
    services.record_reaction(signal, on=later.date() + timedelta(days=3), text="Wij passen het aan.", reference="",
                             by=w.facilitator, now=later + timedelta(days=5))
    with pytest.raises(services.SignalError) as refused:
        services.record_closed(signal, on=later.date() + timedelta(days=2), by=w.facilitator,
                               now=later + timedelta(days=5))
    assert "vóór ze binnenkwam" in str(refused.value.message)
    services.record_closed(signal, on=later.date() + timedelta(days=4), by=w.facilitator, now=later + timedelta(days=5))
    assert signal.status == "closed"
