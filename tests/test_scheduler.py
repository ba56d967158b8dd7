"""Exactly one scheduler: a lock a second process cannot take; job bodies commit or roll back."""

import pytest
from sqlalchemy import func, select

from fieldlab import scheduler
from fieldlab.extensions import db
from fieldlab.organisations.models import Organisation
from tests.conftest import TEST_DATABASE_URL, make_test_app


def add_organisation(name: str) -> None:
    """A job body: writes, never commits (run_job does)."""
    db.session.add(Organisation(name=name, short_name=name[:60], kind="gemeente", sector="publiek"))
    db.session.flush()


def add_organisation_then_fail(name: str) -> None:
    add_organisation(name)
    raise RuntimeError("the job body failed halfway")


def organisations_named(name: str) -> int:
    db.session.rollback()  # a fresh look at what is committed
    return db.session.scalar(select(func.count()).select_from(Organisation).where(Organisation.name == name))


@pytest.fixture
def sqlite_app(tmp_path):
    app = make_test_app(f"sqlite:///{tmp_path / 'scheduler.sqlite'}", tmp_path / "instance")
    yield app
    with app.app_context():
        db.engine.dispose()


def test_second_file_lock_on_the_same_instance_waits(sqlite_app):
    first, second = scheduler.SchedulerLock(sqlite_app), scheduler.SchedulerLock(sqlite_app)
    try:
        assert first.acquire(wait=False) is True
        assert second.acquire(wait=False) is False
        first.release()
        assert second.acquire(wait=False) is True, "the standby takes over once the first lets go"
    finally:
        first.release()
        second.release()


def test_file_lock_records_the_process(sqlite_app):
    lock = scheduler.SchedulerLock(sqlite_app)
    try:
        lock.acquire(wait=False)
        with open(f"{sqlite_app.instance_path}/scheduler.lock") as file:
            assert file.read().strip().isdigit()
    finally:
        lock.release()


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="FIELDLAB_TEST_DATABASE_URL is not set")
def test_second_advisory_lock_on_postgresql_waits(app):
    assert db.engine.dialect.name == "postgresql"
    first, second = scheduler.SchedulerLock(app), scheduler.SchedulerLock(app)
    try:
        assert first.acquire(wait=False) is True
        assert second.acquire(wait=False) is False
        first.release()
        assert second.acquire(wait=False) is True
    finally:
        first.release()
        second.release()


def test_scheduler_never_starts_under_tests(app):
    with pytest.raises(RuntimeError):
        scheduler.start(app, wait_for_lock=False)


@pytest.fixture
def job_app(app, monkeypatch):
    """run_job runs bodies in the app the scheduler was started with."""
    monkeypatch.setattr(scheduler, "_app", app)
    return app


def test_run_job_commits_what_the_body_did(job_app):
    scheduler.run_job("tests.test_scheduler:add_organisation", "Gemeente Uit Een Job")

    assert organisations_named("Gemeente Uit Een Job") == 1


def test_run_job_rolls_back_when_the_body_raises(job_app):
    with pytest.raises(RuntimeError):
        scheduler.run_job("tests.test_scheduler:add_organisation_then_fail", "Gemeente Half")

    assert organisations_named("Gemeente Half") == 0


def test_jobs_are_stored_with_text_references_and_ids_only(app):
    jobs = scheduler.create_scheduler(app)
    scheduler.register_standing_jobs(jobs, app)
    scheduler.add_job(
        jobs,
        "returnday:42:invite",
        "fieldlab.mail.jobs:drain_outbox",
        42,
        trigger="date",
        run_date="2030-01-01T09:00:00+00:00",
    )
    jobs.start(paused=True)
    try:
        job = jobs.get_job("returnday:42:invite")
        assert job.func is scheduler.run_job
        assert job.args == ("fieldlab.mail.jobs:drain_outbox", 42)
        drain = jobs.get_job("mail:drain")
        assert drain.coalesce is True and drain.misfire_grace_time is None
        scheduler.add_job(
            jobs,
            "returnday:42:invite",
            "fieldlab.mail.jobs:drain_outbox",
            42,
            trigger="date",
            run_date="2030-01-02T09:00:00+00:00",
        )
        assert len([j for j in jobs.get_jobs() if j.id == "returnday:42:invite"]) == 1
    finally:
        jobs.shutdown(wait=False)
