"""Scheduled body: the daily retention run."""

from datetime import timedelta

from fieldlab import submissions
from fieldlab.privacy import services
from fieldlab.timeutil import utcnow

# A form token guards against a double click; after a week it guards nothing.
SUBMISSION_TOKENS_KEPT = timedelta(days=7)


def purge_expired(now=None) -> int:
    """Labs purged plus people whose postponed purge came due."""
    submissions.purge_before((now or utcnow()) - SUBMISSION_TOKENS_KEPT)
    return len(services.purge_due(now=now)) + services.purge_postponed_due(now=now)
