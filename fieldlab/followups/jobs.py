"""Scheduled body: the one poller over the follow-up table (job `followups:run`)."""

from fieldlab.followups import services


def run_due() -> None:
    """Commits per step itself; the job wrapper's final commit then has nothing left to write."""
    services.run_due()
