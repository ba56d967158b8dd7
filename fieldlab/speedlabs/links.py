"""Signed links for speedlab invitations: one salt per purpose, an expiry, and the invitation
they belong to. A join link lets an invited guest in without an account; an RSVP link answers
yes or no. A link for one purpose never works for the other."""

from flask import current_app

from fieldlab import links

JOIN = "join"
RSVP = "rsvp"
PURPOSES = (JOIN, RSVP)


class InvalidLink(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason  # "expired" or "invalid"


def _salt(purpose: str) -> str:
    if purpose not in PURPOSES:
        raise ValueError(purpose)
    return f"fieldlab.speedlab.{purpose}"


def make_link_token(invitation, purpose: str) -> str:
    return links.sign(_salt(purpose), {"i": invitation.id, "s": invitation.session_id})


def read_link_token(token: str, purpose: str) -> tuple[int, int]:
    """(invitation id, session id) of a valid link; InvalidLink otherwise."""
    try:
        data = links.unsign(_salt(purpose), token, max_age=current_app.config["SPEEDLAB_LINK_MAX_AGE"])
    except links.LinkError as error:
        raise InvalidLink(error.reason) from error
    if not isinstance(data.get("i"), int) or not isinstance(data.get("s"), int):
        raise InvalidLink("invalid")
    return data["i"], data["s"]
