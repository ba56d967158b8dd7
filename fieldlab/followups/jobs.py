"""Scheduled body: the one poller over the follow-up table (job `followups:run`)."""

from flask import current_app

from fieldlab import scheduler as scheduler_module
from fieldlab.followups import services


def run_due() -> None:
    """Commits per step itself; the job wrapper's final commit then has nothing left to write.
    Stops between steps when the scheduler stops, and stays shorter than its interval."""
    budget = 0.8 * current_app.config["FOLLOWUP_POLL_INTERVAL"].total_seconds()
    services.run_due(should_stop=scheduler_module.stopping, budget=budget)
