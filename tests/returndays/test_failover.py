"""Two `fieldlab scheduler` processes on PostgreSQL with 10,000 return-day steps: SIGTERM the active
one while it works through the due steps; it must exit within 10 s (releasing the advisory lock),
the standby must take over within its poll interval, and every due step must run, and every message
reach the SMTP server, exactly once."""

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from fieldlab.extensions import db
from fieldlab.mail.models import MessageStatus, OutboxMessage
from fieldlab.returndays.models import ReturnDayJob
from fieldlab.timeutil import utcnow
from tests.conftest import SECRET_KEY, TEST_DATABASE_URL
from tests.returndays.many_steps import make_many_steps

pytestmark = pytest.mark.skipif(not (TEST_DATABASE_URL or "").startswith("postgresql"),
                                reason="the failover test needs PostgreSQL (FIELDLAB_TEST_DATABASE_URL)")

STEPS_DAYS = 2000  # 5 steps each: 10,000 steps
DUE_DAYS = 500  # invitation and reminder due: 1,000 due steps, 1,000 messages
STANDBY_POLL = 0.5


class Scheduler:
    """A `fieldlab scheduler` process whose stderr lines are collected as they come."""

    def __init__(self, instance: Path, name: str):
        env = {**os.environ, "FIELDLAB_INSTANCE_PATH": str(instance), "DATABASE_URL": TEST_DATABASE_URL}
        self.name = name
        self.lines: queue.Queue = queue.Queue()
        self.log: list[str] = []
        self.process = subprocess.Popen([str(Path(sys.executable).parent / "fieldlab"), "scheduler"], env=env,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stderr:
            self.lines.put(line.rstrip())

    def wait_for(self, text: str, timeout: float) -> float:
        """Seconds until a line containing `text` appeared."""
        began = time.monotonic()
        while True:
            left = timeout - (time.monotonic() - began)
            if left <= 0:
                raise AssertionError(f"{self.name}: no '{text}' within {timeout} s; log: {self.log[-20:]}")
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                continue
            self.log.append(line)
            if text in line:
                return time.monotonic() - began

    def stop(self) -> float:
        began = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)
        return time.monotonic() - began

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def _count(query) -> int:
    db.session.commit()
    return db.session.scalar(query)


def test_sigterm_mid_run_exits_fast_and_the_standby_runs_each_due_step_once(app, smtp_server, tmp_path):
    instance = tmp_path / "scheduler-instance"
    instance.mkdir()
    (instance / "config.py").write_text(
        "from datetime import timedelta\n"
        f"SECRET_KEY = {SECRET_KEY!r}\n"
        "RETURNDAY_POLL_INTERVAL = timedelta(seconds=1)\n"
        f"SCHEDULER_STANDBY_POLL = timedelta(seconds={STANDBY_POLL})\n"
        "MAIL_DRAIN_INTERVAL = timedelta(seconds=1)\n"
        f"SMTP_HOST = '127.0.0.1'\nSMTP_PORT = {smtp_server.port}\n"
        "BASE_URL = 'http://fieldlab.test'\n")
    due = make_many_steps(days=STEPS_DAYS, due_days=DUE_DAYS, now=utcnow())
    assert _count(select(func.count()).select_from(ReturnDayJob)) == 5 * STEPS_DAYS

    first = Scheduler(instance, "first")
    second = None
    try:
        first.wait_for("Planner gestart", timeout=60)
        second = Scheduler(instance, "second")
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
