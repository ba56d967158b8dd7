"""Scheduled body: the daily retention run."""

from fieldlab.privacy import services


def purge_expired(now=None) -> int:
    return len(services.purge_due(now=now))
