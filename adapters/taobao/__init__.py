"""The Taobao Open Platform (TOP) marketplace adapter and its local sandbox.

``TaobaoClient`` implements ``bridge.ports.StorefrontPort`` over the TOP
router protocol (see ``shared/taobao-top.md``); ``adapters.taobao.sandbox``
is a real aiohttp server speaking the same protocol, for demos and tests.
They share only ``signing`` (the published signature and time format); each
has its own wire shapes, and neither imports the other.
"""

from __future__ import annotations

from adapters.taobao.classify import classify
from adapters.taobao.client import DEFAULT_TRADE_TYPES, TaobaoClient, truncate_utf8
from adapters.taobao.signing import format_timestamp, parse_timestamp, sign

__all__ = [
    "DEFAULT_TRADE_TYPES",
    "TaobaoClient",
    "classify",
    "format_timestamp",
    "parse_timestamp",
    "sign",
    "truncate_utf8",
]
