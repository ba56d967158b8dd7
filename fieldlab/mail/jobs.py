"""Scheduled bodies for mail. Called through scheduler.run_job, inside an app context."""

from fieldlab import scheduler
from fieldlab.mail import sender


def drain_outbox() -> None:
    sender.deliver_due(should_stop=scheduler.stopping)
