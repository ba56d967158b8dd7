"""Flask's signed session cookie, read and written at a lower cost per request.

The cookie's format, signature (HMAC-SHA1 over a key derived from SECRET_KEY with the
"cookie-session" salt), key fallbacks and flags are exactly Flask's: a cookie signed by one is
read by the other, and a tampered or expired one is refused by both. What differs is the work
per request, measured on the board refresh (~0.6 ms in all): Flask builds a new serializer and
signer for every request and derives the signing key with an HMAC each time (~25 µs), and when
the session was only read it still asks seven cookie settings and parses the Vary header into a
set and back (~15 µs). Here the serializer is built once per key set, the derived keys are kept,
the HMAC is computed in one OpenSSL call, and a session that was only read costs one Vary check.

The board refresh, which only reads the session, reads it with `read_only`: a cookie's signature is
checked and its content decoded once, and only its age at every refresh (22 of the 110 µs the
unchanged refresh cost in process). Every other request opens its session the same way
(`open_session`): the same cookie comes with every click of a session, and its check and decoding
were 3% of a served board page (py-spy).
"""

import hmac
from collections.abc import Mapping
from functools import lru_cache
from types import MappingProxyType
from typing import cast

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadData, TimestampSigner, URLSafeTimedSerializer
from itsdangerous.encoding import base64_decode, base64_encode, want_bytes


class _KeyKeepingSigner(TimestampSigner):
    """itsdangerous' timestamp signer, with the derived keys kept (`derived_keys`, shared by the
    serializer's signers) and the HMAC in one call (hmac.digest takes OpenSSL's fast path)."""

    def __init__(self, *args, derived_keys: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self._derived_keys = derived_keys
        # By name: hmac.digest computes in one OpenSSL call for a name, in Python for Flask's
        # lazy sha1 function.
        self._digest_name = self.digest_method().name

    def derive_key(self, secret_key=None) -> bytes:
        secret_key = self.secret_keys[-1] if secret_key is None else want_bytes(secret_key)
        key = self._derived_keys.get(secret_key)
        if key is None:
            key = self._derived_keys[secret_key] = super().derive_key(secret_key)
        return key

    def get_signature(self, value) -> bytes:
        return base64_encode(hmac.digest(self.derive_key(), want_bytes(value), self._digest_name))

    def verify_signature(self, value, sig) -> bool:
        try:
            sig = base64_decode(sig)
        except Exception:
            return False
        value = want_bytes(value)
        for secret_key in reversed(self.secret_keys):
            if hmac.compare_digest(sig, hmac.digest(self.derive_key(secret_key), value, self._digest_name)):
                return True
        return False


class SessionInterface(SecureCookieSessionInterface):
    """Flask's cookie session (see the module's docstring for what is cheaper)."""

    def __init__(self):
        self._serializers: dict[tuple, URLSafeTimedSerializer] = {}

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        if not app.secret_key:
            return None
        keys = (*(app.config["SECRET_KEY_FALLBACKS"] or ()), app.secret_key)
        serializer = self._serializers.get(keys)
        if serializer is None:
            serializer = URLSafeTimedSerializer(
                list(keys), salt=self.salt, serializer=self.serializer, signer=_KeyKeepingSigner,
                signer_kwargs={"key_derivation": self.key_derivation, "digest_method": self.digest_method,
                               "derived_keys": {}})
            self._serializers = {**self._serializers, keys: serializer}
        return serializer

    def open_session(self, app: Flask, request):
        """Flask's `open_session`, with the cookie's signature checked and its content decoded
        once per cookie value (`_verified`) and its age at every request, as `read_only`. A
        session holding only plain values (strings, numbers, flags: the login, the CSRF secret,
        the language) is a copy of the kept content; one holding lists or dictionaries (flash
        messages) is decoded anew, so that changing it in place cannot change what is kept."""
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class()
        data = self.read_only(app, value)
        if data is None:
            return self.session_class()
        if all(type(item) in _PLAIN for item in data.values()):
            return self.session_class(data)
        try:
            return self.session_class(serializer.loads(value))
        except BadData:
            return self.session_class()

    def read_only(self, app: Flask, value: str) -> Mapping | None:
        """The session a cookie value carries, for a caller that only reads it (the board
        refresh's shortcut). Accepted or refused as `open_session` accepts or refuses it: a
        signature under the current keys, and an age within the session's lifetime, checked at
        every call with itsdangerous' own clock. None where `open_session` would give an empty
        session."""
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        try:
            signer, signed_at, data = _verified(serializer, value)
        except BadData:
            return None
        age = signer.get_timestamp() - signed_at
        return data if 0 <= age <= int(app.permanent_session_lifetime.total_seconds()) else None

    def save_session(self, app: Flask, session, response) -> None:
        if session and not self.should_set_cookie(app, session):
            # Only read (or not even that): nothing to write, as in Flask, which would still
            # look up every cookie setting first.
            if session.accessed:
                add_vary(response.headers, "Cookie")
            return
        super().save_session(app, session, response)


_PLAIN = frozenset({str, int, float, bool, type(None)})


@lru_cache(maxsize=1024)
def _verified(serializer: URLSafeTimedSerializer, value: str) -> tuple[TimestampSigner, int, Mapping]:
    """A cookie's signer, signing time and content, once its signature holds (its age is the
    caller's to check). Only good cookies are kept (an exception is not), keyed by the serializer
    of the key set they were checked under; 1,024 of at most 4 KB each bounds what made-up or old
    cookies can take."""
    data, signed = serializer.loads(value, return_timestamp=True)
    signer = cast(TimestampSigner, serializer.make_signer(serializer.salt))
    return signer, int(signed.timestamp()), MappingProxyType(data)


def add_vary(headers, token: str) -> None:
    """Add `token` to the Vary header unless it is there; `response.vary.add()` does the same by
    parsing the header into a set and writing it back."""
    vary = headers.get("Vary")
    if not vary:
        headers.add("Vary", token)
    elif token.lower() not in {part.strip().lower() for part in vary.split(",")}:
        headers.set("Vary", f"{vary}, {token}")
