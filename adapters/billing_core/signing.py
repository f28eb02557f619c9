"""The billing core's request signature, shared by the client and the sandbox.

Interface version 1 signs every request with HMAC-SHA256 over::

    METHOD \n PATH_AND_QUERY \n X-Timestamp \n hex(sha256(body))

This is the one module the two sides share on purpose. The wire shapes are
written twice (``wire`` for the client, ``sandbox.wire`` for the billing core)
so that a misread field shows up as a disagreement; the signature is instead a
fixed algorithm, pinned by vectors recomputed outside Python (openssl, in
``tests/adapters/billing_core/test_signing.py``). A mistake here fails those
vectors rather than hiding behind two halves that agree with each other, and a
second copy would only add a way to drift. Pure functions, no I/O.
"""

from __future__ import annotations

import hashlib
import hmac

API_KEY_HEADER = "X-Api-Key"
TIMESTAMP_HEADER = "X-Timestamp"
SIGNATURE_HEADER = "X-Signature"
MAX_CLOCK_SKEW_S = 300
"""A timestamp further than this from the server's clock is ``SIGNATURE_EXPIRED``."""


def body_digest(body: bytes) -> str:
    """Lowercase hex SHA-256 of the body (of ``b""`` when there is none)."""
    return hashlib.sha256(body).hexdigest()


def string_to_sign(method: str, path_and_query: str, timestamp: str, body: bytes) -> str:
    """The exact text the signature covers."""
    return "\n".join((method.upper(), path_and_query, timestamp, body_digest(body)))


def sign(secret: str, method: str, path_and_query: str, timestamp: str, body: bytes) -> str:
    """Lowercase hex HMAC-SHA256 of :func:`string_to_sign` under ``secret``."""
    text = string_to_sign(method, path_and_query, timestamp, body)
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


def verify(
    secret: str, method: str, path_and_query: str, timestamp: str, body: bytes, signature: str
) -> bool:
    """Whether ``signature`` is exactly right (lowercase hex), compared in constant time."""
    expected = sign(secret, method, path_and_query, timestamp, body)
    return hmac.compare_digest(expected.encode(), signature.encode())


def signed_headers(
    api_key: str, secret: str, method: str, path_and_query: str, body: bytes, now: float
) -> dict[str, str]:
    """The three authentication headers for one request sent at Unix time ``now``."""
    timestamp = str(int(now))
    return {
        API_KEY_HEADER: api_key,
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: sign(secret, method, path_and_query, timestamp, body),
    }


def timestamp_skew(timestamp: str, now: float) -> float | None:
    """Seconds between a header timestamp and ``now``; ``None`` if it is not whole seconds."""
    if not timestamp.isascii() or not timestamp.isdigit():
        return None
    return abs(now - int(timestamp))
