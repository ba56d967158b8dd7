"""Two `fieldlab scheduler` processes on PostgreSQL with 10,000 return-day steps: SIGTERM the active
one while it works through the due steps; it must exit within 10 s (releasing the advisory lock),
the standby must take over within its poll interval, and every due step must run, and every message
reach the SMTP server, exactly once."""

import time

import pytest
from sqlalchemy import func, select

from fieldlab.extensions import db
from fieldlab.mail.models import MessageStatus, OutboxMessage
from fieldlab.returndays.models import ReturnDayJob
from fieldlab.timeutil import utcnow
from tests.conftest import TEST_DATABASE_URL
from tests.processes import SchedulerProcess, write_instance_config
from tests.returndays.many_steps import make_many_steps

pytestmark = pytest.mark.skipif(not (TEST_DATABASE_URL or "").startswith("postgresql"),
                                reason="the failover test needs PostgreSQL (FIELDLAB_TEST_DATABASE_URL)")

STEPS_DAYS = 2000  # 5 steps each: 10,000 steps
DUE_DAYS = 500  # invitation and reminder due: 1,000 due steps, 1,000 messages
STANDBY_POLL = 0.5


def _count(query) -> int:
    db.session.commit()
    return db.session.scalar(query)


def test_sigterm_mid_run_exits_fast_and_the_standby_runs_each_due_step_once(app, smtp_server, tmp_path):
    instance = tmp_path / "scheduler-instance"
    write_instance_config(instance, smtp_port=smtp_server.port, standby_poll=STANDBY_POLL)
    due = make_many_steps(days=STEPS_DAYS, due_days=DUE_DAYS, now=utcnow())
    assert _count(select(func.count()).select_from(ReturnDayJob)) == 5 * STEPS_DAYS

    first = SchedulerProcess(instance, "first", DATABASE_URL=TEST_DATABASE_URL)
    second = None
    try:
        first.wait_for("Planner gestart", timeout=60)
        second = SchedulerProcess(instance, "second", DATABASE_URL=TEST_DATABASE_URL)
        second.wait_for("Wachten op het planner-slot", timeout=60)
        # Let the first one get well into the due steps, then stop it in the middle.
        ran = select(func.count()).select_from(ReturnDayJob).where(ReturnDayJob.run_count > 0)
        deadline = time.monotonic() + 120
        while _count(ran) < 100:
            assert time.monotonic() < deadline, first.log
            time.sleep(0.2)
        stop_took = first.stop()
        handled_by_first = _count(ran)
        print(f"\nfirst scheduler: SIGTERM after {handled_by_first} of {due} due steps; exited in {stop_took:.2f} s")
        assert first.process.returncode == 0
        assert stop_took < 10
        assert handled_by_first < due, "the first scheduler finished before it was stopped: nothing was tested"

        took_over = second.wait_for("Planner gestart", timeout=10)
        print(f"standby took over {took_over:.2f} s after the first one exited")
        assert took_over < STANDBY_POLL + 5

        deadline = time.monotonic() + 300
        sent = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == MessageStatus.SENT)
        while _count(ran) < due or _count(sent) < due:
            assert time.monotonic() < deadline, (second.log, _count(ran), _count(sent))
            time.sleep(0.5)
        second_stop = second.stop()
        print(f"second scheduler exited in {second_stop:.2f} s")
        assert second_stop < 10
    finally:
        first.kill()
        if second is not None:
            second.kill()

    counts = db.session.scalars(select(ReturnDayJob.run_count).where(ReturnDayJob.run_count > 0)).all()
    assert len(counts) == due and set(counts) == {1}
    assert _count(select(func.count()).select_from(OutboxMessage)) == due
    delivered = [message["X-Fieldlab-Key"] for message in smtp_server.messages]
    assert len(delivered) == due and len(set(delivered)) == due
