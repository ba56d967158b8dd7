"""The generic follow-up table: written once, run once (across restarts and a second runner),
skipped with a reason when late, cancelled, retried after a failure."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from fieldlab import followups, scheduler
from fieldlab.extensions import db
from fieldlab.followups import services
from fieldlab.followups.models import FollowUpStep
from fieldlab.mail.models import OutboxMessage
from fieldlab.mail.services import queue_message
from tests.conftest import make_test_app

T0 = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)


def _run_test_step(step, *, now):
    queue_message(key=f"followup:{step.key}:test", to="indiener@example.nl", template="followup_test",
                  now=now, subject_id=step.subject_id)


def _late_after_a_week(step, *, now):
    return "te laat" if now - step.due_at > timedelta(days=7) else None


def _broken(step, *, now):
    raise RuntimeError("body broke")


@pytest.fixture(autouse=True)
def test_kinds(app, monkeypatch):
    monkeypatch.setattr(services, "_KINDS", {})
    followups.register("test", run=_run_test_step, is_late=_late_after_a_week)
    followups.register("broken", run=_broken, is_late=lambda step, now: None)
    loader = app.jinja_loader
    from jinja2 import ChoiceLoader, DictLoader

    app.jinja_loader = ChoiceLoader([DictLoader({
        "mail/followup_test.subject.txt": "Vervolgstap {{ subject_id }}",
        "mail/followup_test.txt": "Tekst {{ subject_id }}",
        "mail/followup_test.html": "<p>Tekst {{ subject_id }}</p>",
    }), loader])
    app.jinja_env.cache = {}


def outbox_count() -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxMessage))


def test_writing_the_same_step_twice_keeps_one_row(app):
    followups.schedule("test", 1, T0, key="test:1")
    followups.schedule("test", 1, T0, key="test:1")
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(FollowUpStep)) == 1


def test_a_pending_step_takes_a_moved_moment_but_a_done_one_does_not(app):
    followups.schedule("test", 1, T0, key="test:1")
    step = followups.schedule("test", 1, T0 + timedelta(days=2), key="test:1")
    assert step.due_at == T0 + timedelta(days=2)
    db.session.commit()
    followups.run_due(T0 + timedelta(days=2))
    step = followups.schedule("test", 1, T0 + timedelta(days=9), key="test:1")
    assert (step.status, step.due_at) == ("done", T0 + timedelta(days=2))


def test_a_step_runs_at_its_moment_and_only_once(app):
    followups.schedule("test", 1, T0, key="test:1")
    db.session.commit()
    assert followups.run_due(T0 - timedelta(minutes=1))["done"] == []
    assert outbox_count() == 0
    assert followups.run_due(T0)["done"] == ["test:1"]
    assert followups.run_due(T0 + timedelta(hours=1))["done"] == []
    assert outbox_count() == 1
    step = db.session.scalar(select(FollowUpStep))
    assert (step.status, step.done_at, step.attempts) == ("done", T0, 1)


def test_a_late_step_is_skipped_with_its_reason_and_sends_nothing(app):
    followups.schedule("test", 1, T0, key="test:1")
    db.session.commit()
    outcome = followups.run_due(T0 + timedelta(days=8))
    assert outcome["skipped"] == ["test:1"]
    step = db.session.scalar(select(FollowUpStep))
    assert (step.status, step.reason, step.status_label) == ("skipped", "te laat", "overgeslagen")
    assert outbox_count() == 0


def test_cancel_records_pending_steps_as_skipped(app):
    followups.schedule("test", 1, T0, key="test:1")
    followups.schedule("test", 2, T0, key="test:2")
    assert followups.cancel("test", 1, reason="ingetrokken", now=T0) == 1
    db.session.commit()
    assert followups.run_due(T0)["done"] == ["test:2"]
    assert [(s.status, s.reason) for s in followups.steps_for("test", 1)] == [("skipped", "ingetrokken")]


def test_a_second_runner_finds_nothing_to_claim(app):
    followups.schedule("test", 1, T0, key="test:1")
    db.session.commit()
    step_id = db.session.scalar(select(FollowUpStep.id))
    assert services._claim(step_id, T0) is True
    assert services._claim(step_id, T0) is False, "the claim moves the row out of pending"
    db.session.rollback()
    assert services._claim(step_id, T0) is True, "a rolled back claim leaves the step to run again"
    db.session.rollback()


def test_a_failing_body_rolls_back_and_is_retried_then_marked_failed(app):
    app.config["FOLLOWUP_MAX_ATTEMPTS"] = 2
    followups.schedule("broken", 1, T0, key="broken:1")
    followups.schedule("test", 1, T0 + timedelta(minutes=1), key="test:1")
    db.session.commit()
    first = followups.run_due(T0 + timedelta(minutes=5))
    assert first == {"done": ["test:1"], "skipped": [], "failed": ["broken:1"]}
    step = db.session.scalar(select(FollowUpStep).where(FollowUpStep.key == "broken:1"))
    assert (step.status, step.attempts) == ("pending", 1)
    followups.run_due(T0 + timedelta(minutes=6))
    db.session.refresh(step)
    assert step.status == "failed" and "body broke" in step.reason


def test_unregistered_kinds_stay_pending(app):
    followups.schedule("unknown", 1, T0, key="unknown:1")
    db.session.commit()
    followups.run_due(T0 + timedelta(days=1))
    assert db.session.scalar(select(FollowUpStep.status)) == "pending"


def test_a_step_runs_once_across_a_restart(app, database_url, tmp_path):
    """A second app on the same database (the restarted scheduler, or the hot standby) runs nothing again."""
    followups.schedule("test", 1, T0, key="test:1")
    db.session.commit()
    followups.run_due(T0)
    db.session.remove()
    restarted = make_test_app(database_url, tmp_path / "restarted")
    with restarted.app_context():
        assert followups.run_due(T0 + timedelta(days=1)) == {"done": [], "skipped": [], "failed": []}
        assert outbox_count() == 1
        db.session.remove()
        db.engine.dispose()


def test_the_scheduler_registers_the_poller(app):
    sched = scheduler.create_scheduler(app)
    scheduler.register_standing_jobs(sched, app)
    assert "followups:run" in {job.id for job in sched.get_jobs()}


def test_two_runners_at_once_run_each_step_once(app):
    """A hot standby that takes over while the first scheduler is still finishing: both poll at
    the same moment, and the claim gives every step to one of them."""
    for number in range(20):
        followups.schedule("test", number, T0, key=f"test:{number}")
    db.session.commit()
    outcomes, errors = [], []

    def runner():
        with app.app_context():
            try:
                outcomes.append(followups.run_due(T0 + timedelta(minutes=1)))
            except Exception as error:  # noqa: BLE001 - reported by the assertion below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=runner) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    ran = [key for outcome in outcomes for key in outcome["done"]]
    assert sorted(ran) == sorted(f"test:{number}" for number in range(20)), "each step by exactly one runner"
    db.session.expire_all()
    assert outbox_count() == 20
    assert set(db.session.scalars(select(FollowUpStep.attempts))) == {1}


def test_the_scheduler_job_runs_due_steps_through_the_job_wrapper(app, monkeypatch):
    monkeypatch.setattr(scheduler, "_app", app)
    followups.schedule("test", 1, datetime.now(UTC) - timedelta(minutes=5), key="test:1")
    db.session.commit()
    db.session.remove()
    scheduler.run_job("fieldlab.followups.jobs:run_due")
    scheduler.run_job("fieldlab.followups.jobs:run_due")
    assert outbox_count() == 1
    assert db.session.scalar(select(FollowUpStep.status)) == "done"


def test_the_poller_stops_between_steps_when_the_scheduler_stops(app):
    """A shutdown never waits for a backlog of follow-ups: the rest stays pending for the next run."""
    api = followups
    ran = []
    api.register("test_stop", run=lambda step, now: ran.append(step.key), is_late=lambda step, now: None)
    moment = datetime(2027, 1, 1, 9, tzinfo=UTC)
    for number in range(5):
        api.schedule("test_stop", number, moment, key=f"test_stop:{number}", now=moment)
    db.session.commit()
    outcome = api.run_due(moment + timedelta(hours=1), should_stop=lambda: len(ran) >= 2)
    assert outcome["done"] == ["test_stop:0", "test_stop:1"]
    assert api.run_due(moment + timedelta(hours=1))["done"] == [f"test_stop:{n}" for n in range(2, 5)]
