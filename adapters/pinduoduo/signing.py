"""Pinduoduo open-platform request signing and the platform's time forms.

Both the client and the sandbox must compute the very same signature, so the
published algorithm lives in this one small pure module, the only thing the
two share on purpose (docs/storefronts/pinduoduo.md §1): every request
parameter except ``sign`` — the system ones (``type``, ``client_id``,
``access_token``, ``timestamp``, ``data_type``) and the business ones alike —
sorted by name, each written ``name`` + ``value``, the whole wrapped in the
client secret on both sides, MD5, upper-case hex. A mistake here fails the
hand-computed vector pinned in ``test_signing.py`` rather than two halves
agreeing with each other.

Times: requests carry UNIX seconds (``timestamp``, ``start_updated_at``);
answers carry ``yyyy-MM-dd HH:mm:ss`` in China Standard Time.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from datetime import datetime

from bridge.core.models import CST

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
"""``yyyy-MM-dd HH:mm:ss``, read as China Standard Time (GMT+8)."""


def canonical(params: Mapping[str, str]) -> str:
    """``name+value`` for every param but ``sign``, names in byte order."""
    keys = sorted((k for k in params if k != "sign"), key=lambda k: k.encode("utf-8"))
    return "".join(k + params[k] for k in keys)


def sign(params: Mapping[str, str], client_secret: str) -> str:
    """MD5 of ``secret + canonical(params) + secret``, upper-case hex."""
    text = (client_secret + canonical(params) + client_secret).encode("utf-8")
    return hashlib.md5(text).hexdigest().upper()  # the published algorithm, not a security choice


def to_epoch(dt: datetime, *, round_up: bool = False) -> int:
    """An aware datetime as UNIX seconds (cut down, or up with ``round_up``)."""
    if dt.tzinfo is None:
        raise ValueError("naive datetime: the platform needs an aware time")
    seconds = dt.timestamp()
    return math.ceil(seconds) if round_up else math.floor(seconds)


def from_epoch(seconds: int) -> datetime:
    """UNIX seconds as an aware GMT+8 datetime."""
    return datetime.fromtimestamp(seconds, tz=CST)


def format_time(dt: datetime) -> str:
    """An aware datetime as the platform's GMT+8 ``yyyy-MM-dd HH:mm:ss``."""
    if dt.tzinfo is None:
        raise ValueError("naive datetime: the platform needs an aware time")
    return dt.astimezone(CST).strftime(TIME_FORMAT)


def parse_time(text: str) -> datetime:
    """``yyyy-MM-dd HH:mm:ss`` (GMT+8) as an aware datetime; ``ValueError`` otherwise."""
    if not isinstance(text, str):
        raise ValueError(f"not a platform time: {text!r}")
    return datetime.strptime(text.strip(), TIME_FORMAT).replace(tzinfo=CST)
