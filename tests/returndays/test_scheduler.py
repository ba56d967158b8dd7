"""The return-day steps under the scheduler: one poller job instead of a job per step, downtime and
restarts that send nothing about the past and every future step once, the lock, and a stop that
does not wait on APScheduler's job-store lock."""

import threading
from datetime import date, timedelta

from sqlalchemy import select

from fieldlab import scheduler as scheduler_module
from fieldlab.extensions import db
from fieldlab.returndays import decisions, jobs
from fieldlab.returndays.models import ReturnDay, ReturnDayJob
from fieldlab.timeutil import local, utcnow
from tests.processes import assert_a_waiting_standby_stops_when_told, assert_one_lock_holder_at_a_time
from tests.returndays.helpers import arrange_team, at, details, keys


def test_start_keeps_one_poller_and_drops_the_per_step_jobs_of_the_earlier_design(app):
    scheduler = scheduler_module.create_scheduler(app)
    scheduler.start(paused=True)
    try:
        for job_id in ("returnday:7:invite", "returnday:7:reminder", "returndays:sync"):
            scheduler_module.add_job(scheduler, job_id, "fieldlab.returndays.jobs:poll", trigger="date",
                                     run_date=utcnow() + timedelta(days=1))
        assert sorted(scheduler_module.remove_legacy_jobs(scheduler)) == [
            "returnday:7:invite", "returnday:7:reminder", "returndays:sync"]
        scheduler_module.register_standing_jobs(scheduler, app)
        stored = {job.id: job for job in scheduler.get_jobs()}
        assert set(stored) == {"mail:drain", "privacy:purge", "returndays:poll", "followups:run"}
        assert stored["returndays:poll"].args == ("fieldlab.returndays.jobs:poll",)
    finally:
        scheduler.shutdown(wait=False)


def _steps():
    db.session.expire_all()
    return {(step.return_day.day_number, step.kind): step for step in db.session.scalars(select(ReturnDayJob))}


def test_a_week_of_downtime_then_restart_sends_nothing_about_the_past_and_every_future_step_once(app):
    setting = arrange_team(date(2025, 2, 10), members=2)
    for number, day in ((1, date(2025, 2, 10)), (50, date(2025, 3, 31))):
        decisions.save_return_day(lab=setting.lab, team=setting.team, day_number=number, details=details(day),
                                  by=setting.facilitator, now=at(date(2025, 1, 6), 9))
    db.session.commit()
    day1, day50 = (db.session.scalar(select(ReturnDay).where(ReturnDay.day_number == n)) for n in (1, 50))

    assert jobs.run_due(at(date(2025, 1, 20), 9)) == [f"returnday:{day1.id}:invite"]
    invited = len(keys())
    # Down from 4 to 11 February: the reminder (5th), the practical reminder (9th) and the end of
    # day 1 (10th, 16:00) were missed. The first poll after the restart:
    handled = jobs.run_due(at(date(2025, 2, 11), 9))
    assert handled == [f"returnday:{day1.id}:{kind}" for kind in ("reminder", "practical", "evaluation")]
    steps = _steps()
    assert steps[1, "reminder"].status == "skipped" and steps[1, "reminder"].skip_reason == "day_begun"
    assert steps[1, "practical"].status == "skipped"
    assert steps[1, "evaluation"].status == "done"  # the form is open for 14 days: still worth asking
    assert not [key for key in keys() if key.startswith(("reminder:", "practical:"))]
    assert len([key for key in keys() if key.startswith("evaluation:")]) == 2

    # Day 50: invitation and reminder on time, then down from 27 to 31 March 12:00 (the day began).
    jobs.run_due(at(date(2025, 3, 10), 9))
    jobs.run_due(at(date(2025, 3, 26), 9))
    before = len(keys())
    handled = jobs.run_due(at(date(2025, 3, 31), 12))
    assert handled == [f"returnday:{day50.id}:{kind}" for kind in ("nudge", "practical")]
    steps = _steps()
    assert steps[50, "nudge"].skip_reason == "day_reached" and steps[50, "practical"].skip_reason == "day_begun"
    assert len(keys()) == before
    assert jobs.run_due(at(date(2025, 3, 31), 16)) == [f"returnday:{day50.id}:evaluation"]

    # A second restart at the same moment does nothing; every step ran exactly once.
    assert jobs.run_due(at(date(2025, 3, 31), 16, 5)) == []
    assert {key: step.run_count for key, step in _steps().items()} == {key: 1 for key in _steps()}
    assert len(keys()) == len(set(keys())) and invited == 5


def test_skipped_steps_are_shown_under_gepland_with_their_reason(app, client, auth):
    today = local(utcnow()).date()
    setting = arrange_team(today - timedelta(days=60))
    return_day = decisions.save_return_day(lab=setting.lab, team=setting.team, day_number=50,
                                           details=details(today - timedelta(days=2)), by=setting.facilitator,
                                           now=utcnow() - timedelta(days=30))
    db.session.commit()
    jobs.run_due(utcnow())
    auth.login(setting.facilitator)
    page = client.get(f"/terugkomdagen/{return_day.id}").get_data(as_text=True)
    section = page[page.index('id="returndays-steps"'):page.index('id="returndays-messages"')]
    assert section.count("overgeslagen (te laat)") == 4  # invitation, reminder, nudge, practical
    assert "de terugkomdag was al begonnen" in section
    assert "evaluatieverzoek" in section  # the evaluation step is listed too


def test_scheduler_lock_lets_only_one_scheduler_start(app):
    assert_one_lock_holder_at_a_time(app)


def test_a_waiting_standby_gives_up_when_told_to_stop(app):
    first = scheduler_module.SchedulerLock(app)
    try:
        assert first.acquire(wait=False)
        assert_a_waiting_standby_stops_when_told(scheduler_module.SchedulerLock(app), after=0.3)
    finally:
        first.release()


def test_shutdown_does_not_wait_on_the_job_store_lock_while_a_body_adds_a_job(app, monkeypatch):
    """The failure of issue #15: a running body that needs APScheduler's job-store lock while
    `shutdown` holds it waiting for that body. With the stop flag raised first and the bodies
    drained before APScheduler's shutdown, it ends at once."""
    monkeypatch.setattr(scheduler_module, "_app", app)
    scheduler = scheduler_module.create_scheduler(app)
    monkeypatch.setattr(scheduler_module, "_scheduler", scheduler)
    started, release = threading.Event(), threading.Event()

    def body():
        started.set()
        release.wait(5)
        scheduler_module.add_job(scheduler, "late", "fieldlab.returndays.jobs:poll", trigger="date",
                                 run_date=utcnow() + timedelta(days=1))

    monkeypatch.setattr(jobs, "slow_body_for_test", body, raising=False)
    scheduler.start()
    scheduler_module.add_job(scheduler, "slow", "fieldlab.returndays.jobs:slow_body_for_test", trigger="date")
    assert started.wait(5)
    threading.Timer(0.2, release.set).start()
    took = scheduler_module.shutdown(app)
    assert took < 3
    assert not scheduler.running


def test_a_poll_stops_after_its_budget_and_the_next_one_goes_on(app):
    setting = arrange_team(date(2025, 2, 10), members=1)
    for number, day in ((1, date(2025, 2, 10)), (50, date(2025, 3, 31)), (100, date(2025, 5, 20))):
        decisions.save_return_day(lab=setting.lab, team=setting.team, day_number=number, details=details(day),
                                  by=setting.facilitator, now=at(date(2025, 1, 6), 9))
    db.session.commit()
    moment = at(date(2025, 1, 20), 9)
    assert len(jobs.run_due(moment, budget=0)) == 1  # at least one step per poll
    assert len(jobs.run_due(moment)) == 0  # only day 1's invitation was due
    later = at(date(2025, 5, 1), 9)
    first = jobs.run_due(later, budget=0)
    rest = jobs.run_due(later)
    assert len(first) == 1 and len(first) + len(rest) == len(set(first + rest))
