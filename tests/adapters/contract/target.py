"""What the ``StorefrontPort`` contract suite needs of a storefront, and the storefronts it runs against.

A ``ContractTarget`` is one storefront's client talking to its sandbox over real
HTTP, with hooks in the bridge's own words: place a paid order for a recharge
account, move its refund, count its deliveries, edit it, and ``misbehave`` with
the neutral names of ``MISBEHAVIOURS`` (each target maps them onto its own
sandbox's knobs). Where storefronts differ by design the target declares it
(an unknown order id's shape, how an expired authorisation is raised, a note
too long in its own units, the state of a delivered trade refunded in full,
whether a delivery is refused while a refund is asked, which misbehaviours
its sandbox can play); whether
codes travel with a delivery is the port's own ``delivers_codes``. The suite
never asks which storefront it is talking to.

Each storefront's target lives beside this module (``pinduoduo_target``,
``taobao_target``); ``test_contract.TARGETS`` lists them. To run the suite
against another storefront, add an async context manager yielding a
``ContractTarget`` there.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import pytest

from bridge.core.errors import BridgeError
from bridge.core.trades import OrderState
from bridge.ports.storefront import StorefrontPort

MISBEHAVIOURS = frozenset(
    {
        "late_listing_s",  # a change shows in listings this long after it happened
        "edits_while_paging",  # each list page served edits one of its orders
        "duplicates",  # each list page also repeats a row of the page before
        "partial_pages",  # half the list pages drop their last row
        "rate_limit",  # every call is refused as over the call limit
        "expired_token",  # the shop's authorisation has lapsed
        "clock_skew_s",  # the storefront's clock runs this far ahead
        "latency_ms",  # every answer takes this long
        "vague_already_shipped",  # a second delivery is refused without saying why
    }
)


@dataclass
class ContractTarget:
    name: str
    port: StorefrontPort
    make_port: Callable[..., StorefrontPort]  # timeout_s=, max_retries=, page_size=
    place_paid: Callable[[str], Awaitable[str]]  # recharge account → tid
    refund: Callable[[str, str], Awaitable[None]]  # tid, requested | success | withdrawn | refused
    edit: Callable[[str], Awaitable[None]]  # bump the order's modified time
    delivered: Callable[[str], Awaitable[int]]  # how often the storefront recorded a delivery
    delivered_codes: Callable[[str], Awaitable[list[str]]]  # the codes its last delivery carried
    misbehave: Callable[..., Awaitable[None]]  # neutral names of MISBEHAVIOURS
    unknown_tid: str  # an order id of the storefront's shape that no order has
    expired_token_error: type[BridgeError]  # how a lapsed authorisation is raised: a person acts
    expired_token_code: str
    oversized_note: str  # a note longer than ``port.notes`` allows, in the storefront's units
    refunded_after_delivery: OrderState  # a delivered trade, refunded in full: SHIPPED or CLOSED
    blocks_delivery_while_refund_asked: bool  # delivering a trade with a refund asked is refused
    plays: frozenset[str] = field(default=MISBEHAVIOURS)  # what its sandbox can play; others skip

    def needs(self, *misbehaviours: str) -> None:
        """Skip the test (saying why) unless this target's sandbox can play every one of these."""
        missing = sorted(set(misbehaviours) - self.plays)
        if missing:
            pytest.skip(f"the {self.name} sandbox cannot play {', '.join(missing)}")
