"""Signed links in e-mails: password resets and account invitations, RSVP answers, evaluation
requests, speedlab join and answer links. Each purpose has its own salt, so a link made for one
never works for another; each has an age limit; the payload names what the link is for. The
features then check the payload against their own rows (single use, still invited, the nonce)
and say in their own words what went wrong.

A payload is signed, not encrypted: anyone who sees the link can base64-decode it. So it carries
opaque ids only (row ids, nonces, `fingerprint`s), never an e-mail address or a name: a forwarded
link must not tell the reader whom it was for.
"""

import hashlib
import hmac
from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer


class LinkError(Exception):
    """A link that is too old (`reason` "expired") or forged, damaged or made for another
    purpose ("invalid")."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def fingerprint(purpose: str, value: str) -> str:
    """A short keyed digest of `value` (an e-mail address) for a link's payload: the link stays
    bound to that address (a new representative's address does not match an old link) without
    showing it. Keyed with SECRET_KEY, so it cannot be matched against a list of addresses."""
    key = current_app.config["SECRET_KEY"].encode()
    message = f"{purpose}:{(value or '').strip().lower()}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:20]


def sign(salt: str, payload: dict) -> str:
    return _serializer(salt).dumps(payload)


def unsign(salt: str, token: str, *, max_age: timedelta) -> dict:
    """The payload of a link signed with `salt` at most `max_age` ago; LinkError otherwise."""
    try:
        payload = _serializer(salt).loads(token, max_age=int(max_age.total_seconds()))
    except SignatureExpired as error:
        raise LinkError("expired") from error
    except BadSignature as error:
        raise LinkError("invalid") from error
    if not isinstance(payload, dict):
        raise LinkError("invalid")
    return payload
