"""TOP request signing and the marketplace's time format.

Both the client and the sandbox must compute the very same signature
(taobao-top.md §1.4), and both speak GMT+8 wall-clock timestamps, so these
rules live in one small pure module. It is the only thing the client and the
sandbox share on purpose: they are published algorithms, checked against
Taobao's own test vectors (§1.5, pinned in ``test_taobao_signing.py``), so a
mistake here fails those vectors rather than two halves agreeing with each
other. The wire shapes are not shared: the client reads answers with
``adapters.taobao.wire``, the sandbox writes them with its own
``sandbox.render`` and reads requests with ``sandbox.protocol``.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime

from bridge.core.models import CST

SIGN_METHODS = frozenset({"md5", "hmac", "hmac-sha256"})
"""The exact lower-case ``sign_method`` values the gateway accepts."""

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
"""``yyyy-MM-dd HH:mm:ss``, always read as China Standard Time (GMT+8)."""


def _canonical(params: Mapping[str, str]) -> str:
    """``key+value`` for every non-empty param except ``sign``, keys in byte order."""
    keys = sorted((k for k in params if k and k != "sign" and params[k]), key=lambda k: k.encode("utf-8"))
    return "".join(k + params[k] for k in keys)


def sign(params: Mapping[str, str], secret: str, method: str) -> str:
    """The upper-case hex signature of ``params`` with ``secret`` by ``method``.

    ``method`` is one of ``md5`` (MD5 of secret+s+secret), ``hmac``
    (HMAC-MD5 keyed by the secret) or ``hmac-sha256``. Raises ``ValueError``
    for any other method.
    """
    text = _canonical(params).encode("utf-8")
    key = secret.encode("utf-8")
    if method == "md5":
        digest = hashlib.md5(key + text + key).digest()
    elif method == "hmac":
        digest = hmac.new(key, text, hashlib.md5).digest()
    elif method == "hmac-sha256":
        digest = hmac.new(key, text, hashlib.sha256).digest()
    else:
        raise ValueError(f"unknown sign method {method!r}; expected one of {sorted(SIGN_METHODS)}")
    return digest.hex().upper()


def format_timestamp(dt: datetime) -> str:
    """An aware datetime as the marketplace's GMT+8 ``yyyy-MM-dd HH:mm:ss``."""
    if dt.tzinfo is None:
        raise ValueError("naive datetime: the marketplace needs an aware time to convert to GMT+8")
    return dt.astimezone(CST).strftime(TIME_FORMAT)


def parse_timestamp(text: str) -> datetime:
    """``yyyy-MM-dd HH:mm:ss`` (GMT+8) as an aware datetime; ``ValueError`` otherwise."""
    if not isinstance(text, str):
        raise ValueError(f"not a marketplace time: {text!r}")
    return datetime.strptime(text.strip(), TIME_FORMAT).replace(tzinfo=CST)


def parse_request_timestamp(text: str) -> datetime:
    """A request's ``timestamp``: the GMT+8 text form, or epoch milliseconds.

    The official Python SDKs send ``str(int(time.time() * 1000))`` (§1.2), so a
    gateway that accepts them must read both.
    """
    stripped = text.strip()
    if stripped.isdigit():
        return datetime.fromtimestamp(int(stripped) / 1000, tz=CST)
    return parse_timestamp(stripped)
