"""The order API's request signature: the one rule, for the bridge and for its clients' examples.

A channel client signs every request with its secret::

    X-Bridge-Key:        the client's key id
    X-Bridge-Timestamp:  UNIX seconds when it signed
    X-Bridge-Signature:  hex HMAC-SHA256(secret, METHOD "\\n" PATH_WITH_QUERY "\\n" TIMESTAMP "\\n"
                                          hex SHA-256 of the body)

``PATH_WITH_QUERY`` is the request target as sent (``/api/v1/orders?date=2026-12-08&page=2``);
an empty body's hash is SHA-256 of nothing. The bridge compares in constant time
(``signature_matches``) and refuses a timestamp further off its clock than the
configured skew (``skew_s``). Worked example: docs/api.md.

Pure: no I/O.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import datetime

__all__ = [
    "KEY_HEADER",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "body_sha256",
    "seconds_off",
    "sign",
    "signature_matches",
    "string_to_sign",
]

KEY_HEADER = "X-Bridge-Key"
TIMESTAMP_HEADER = "X-Bridge-Timestamp"
SIGNATURE_HEADER = "X-Bridge-Signature"

_SECONDS = re.compile(r"[0-9]{1,12}")


def body_sha256(body: bytes) -> str:
    """The body's SHA-256 as lowercase hex (the last line of the string to sign)."""
    return hashlib.sha256(body).hexdigest()


def string_to_sign(method: str, path_qs: str, timestamp: str, body: bytes) -> bytes:
    """What the HMAC is taken over: method (upper case), target, timestamp and the body's hash."""
    return "\n".join((method.upper(), path_qs, timestamp, body_sha256(body))).encode()


def sign(secret: str, method: str, path_qs: str, timestamp: str, body: bytes) -> str:
    """The request's signature: lowercase hex HMAC-SHA256 under ``secret``."""
    return hmac.new(
        secret.encode(), string_to_sign(method, path_qs, timestamp, body), hashlib.sha256
    ).hexdigest()


def signature_matches(
    secret: str, method: str, path_qs: str, timestamp: str, body: bytes, signature: str
) -> bool:
    """Whether ``signature`` is the request's, compared in constant time (hex in either case)."""
    expected = sign(secret, method, path_qs, timestamp, body).encode()
    return hmac.compare_digest(expected, signature.strip().lower().encode("utf-8", "replace"))


def seconds_off(timestamp: str, now: datetime) -> float | None:
    """How far the UNIX-seconds ``timestamp`` is from ``now`` (absolute); None when it is not one."""
    if _SECONDS.fullmatch(timestamp) is None:
        return None
    return abs(now.timestamp() - int(timestamp))
