"""Real `fieldlab` processes for the tests (operations, the return days' failover): a deployment's
instance folder, a `fieldlab scheduler` process whose stderr lines are collected as they come, and
the scheduler's lock as a second process, the standby, meets it."""

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from aiosmtpd.controller import Controller

from fieldlab.scheduler import SchedulerLock
from tests.conftest import SECRET_KEY, SmtpSink

FIELDLAB = str(Path(sys.executable).parent / "fieldlab")
# Settings a process must take from the deployment's instance folder, not from the test run.
NOT_INHERITED = {"DATABASE_URL", "SECRET_KEY", "FIELDLAB_INSTANCE_PATH", "SMTP_HOST", "SMTP_PORT", "BASE_URL"}


def write_instance_config(instance: Path, *, smtp_port: int, standby_poll: float = 0.3) -> None:
    """A deployment whose scheduler looks often: mail every second, retries after a second."""
    instance.mkdir(parents=True, exist_ok=True)
    (instance / "config.py").write_text(
        "from datetime import timedelta\n"
        f"SECRET_KEY = {SECRET_KEY!r}\n"
        "MAIL_DRAIN_INTERVAL = timedelta(seconds=1)\n"
        "MAIL_FIRST_RETRY = timedelta(seconds=1)\n"
        "MAIL_MAX_RETRY = timedelta(seconds=2)\n"
        "RETURNDAY_POLL_INTERVAL = timedelta(seconds=1)\n"
        "FOLLOWUP_POLL_INTERVAL = timedelta(seconds=1)\n"
        f"SCHEDULER_STANDBY_POLL = timedelta(seconds={standby_poll})\n"
        f"SMTP_HOST = '127.0.0.1'\nSMTP_PORT = {smtp_port}\n"
        "BASE_URL = 'http://fieldlab.test'\n")


def process_environment(instance: Path, **overrides: str) -> dict:
    environment = {key: value for key, value in os.environ.items() if key not in NOT_INHERITED}
    environment.update(FIELDLAB_INSTANCE_PATH=str(instance), PYTHONUNBUFFERED="1", **overrides)
    return environment


class SchedulerProcess:
    """`fieldlab scheduler` as an operator starts it (or `arguments`, such as `serve`, which runs
    the scheduler in its own process), its output and errors read as one stream of lines."""

    def __init__(self, instance: Path, name: str, arguments: tuple[str, ...] = ("scheduler",), **environment: str):
        self.name = name
        self.lines: queue.Queue = queue.Queue()
        self.log: list[str] = []
        self.process = subprocess.Popen([FIELDLAB, *arguments], env=process_environment(instance, **environment),
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.put(line.rstrip())

    def _take(self, timeout: float) -> str | None:
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            return None
        self.log.append(line)
        return line

    def wait_for(self, text: str, timeout: float) -> float:
        """Seconds until a line containing `text` appeared."""
        began = time.monotonic()
        while (left := timeout - (time.monotonic() - began)) > 0:
            line = self._take(left)
            if line is not None and text in line:
                return time.monotonic() - began
        raise AssertionError(f"{self.name}: no '{text}' within {timeout} s; log: {self.log[-20:]}")

    def said(self, text: str) -> bool:
        """Whether a line so far contains `text` (reads what has arrived, waits for nothing)."""
        while self._take(0) is not None:
            pass
        return any(text in line for line in self.log)

    def stop(self, signal_number: int = signal.SIGTERM, timeout: float = 30) -> float:
        """Send the signal; the seconds until the process exited."""
        began = time.monotonic()
        self.process.send_signal(signal_number)
        self.process.wait(timeout=timeout)
        took = time.monotonic() - began
        time.sleep(0.1)  # the reader thread takes the last lines
        self.said("")
        return took

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def smtp_server_on(port: int) -> tuple[SmtpSink, Controller]:
    """An SMTP server on loopback at a given port (one that was down until now)."""
    sink = SmtpSink()
    sink.port = port
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    return sink, controller


def wait_until(condition, *, timeout: float, interval: float = 0.2, what: str = "the condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not hold within {timeout} s")
        time.sleep(interval)


def assert_one_lock_holder_at_a_time(app) -> None:
    """Two schedulers of one deployment: the second cannot take the lock the first holds, and takes
    it once the first lets go."""
    first, second = SchedulerLock(app), SchedulerLock(app)
    try:
        assert first.acquire(wait=False) is True
        assert second.acquire(wait=False) is False
        first.release()
        assert second.acquire(wait=False) is True, "the standby takes over once the first lets go"
    finally:
        first.release()
        second.release()


def assert_a_waiting_standby_stops_when_told(standby: SchedulerLock, *, after: float = 0.2) -> None:
    """`standby` waits for a lock another holds; a stop `after` seconds ends its wait, without the
    lock, well within the 2 s a SIGTERM gets."""
    stop = threading.Event()
    threading.Timer(after, stop.set).start()
    began = time.monotonic()
    assert standby.acquire(wait=True, stop=stop, poll_seconds=0.05) is False
    assert time.monotonic() - began < 2
