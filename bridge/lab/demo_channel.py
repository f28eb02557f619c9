"""The channel client's part in a lab run (``bridge demo``, ``bridge torture``): the hall's orders
placed through the order API beside the marketplaces', its misbehaviour, and its callbacks counted.

``ChannelRun.open`` makes the client for the daemon's API (its key, the
lab's secret, its orders' callbacks to the receiver). Before the run's orders:
the refusal drills (one good order placed there, then refunded twice at once)
and a refund of the channel's first order before it exists. Its orders come
from the run's own stream (the storefront ``api``), each placed with the
client's knobs. At the end the API's own list of the client's orders is its
record for verification, and the callbacks are counted
(``bridge.lab.callbacks``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import aiohttp

from bridge.lab.callbacks import callbacks_pass, wait_for_callbacks
from bridge.lab.channel import CHANNEL, CHANNEL_KEY_ID, ChannelClient, ChannelKnobs
from bridge.lab.channel_drills import refund_before_order, refund_twice, refusal_drills, unexpected
from bridge.lab.order_kinds import OrderMaker, PlannedOrder
from bridge.lab.sandboxes import Sandboxes
from bridge.lab.verify import Records
from bridge.settings_api import ApiSettings
from bridge.store import SqlStore

__all__ = ["DRILL_KIND_SLOT", "ChannelRun", "channel_summary"]

DRILL_KIND_SLOT = 5
"""The maker's slot of a card-delivery order: the drills' order, refunded twice (no card credited)."""


@dataclass
class ChannelRun:
    client: ChannelClient
    sb: Sandboxes
    max_body_bytes: int

    @classmethod
    def open(
        cls, http: aiohttp.ClientSession, sb: Sandboxes, api: ApiSettings, knobs: ChannelKnobs | None = None
    ) -> ChannelRun:
        """The channel's client of the API ``api`` describes (its listen address, its body cap)."""
        base = "http://" + api.listen
        client = ChannelClient(
            http,
            base,
            CHANNEL_KEY_ID,
            sb.api_secret,
            callback_url=sb.receiver.callback_url(CHANNEL),
            knobs=knobs or ChannelKnobs(),
        )
        return cls(client, sb, api.max_body_bytes)

    async def before(self, maker: OrderMaker) -> None:
        """The refusal drills (their order then refunded twice), and a refund of the channel's first
        order before it is placed."""
        await self.client.wait_ready()
        drill = maker.make(DRILL_KIND_SLOT, "api")
        await refusal_drills(self.client, drill, self.max_body_bytes)
        if drill.tid is not None:
            await refund_twice(self.client, drill.tid)
        await refund_before_order(self.client, 0)

    async def place(self, order: PlannedOrder, n: int) -> PlannedOrder | None:
        return await self.client.place(order, n)

    def verified_orders(self) -> list[PlannedOrder]:
        """The orders whose outcome the run checks like any shop's (the refunded ones go their own way)."""
        return [o for o in self.client.log.placed if o.tid not in self.client.log.refunded]

    async def api_orders(self, today: date) -> dict[str, dict[str, Any]]:
        """The client's orders as the API lists them, paid yesterday or today (China time)."""
        return await self.client.orders_of_days((today - timedelta(days=1), today))

    async def callbacks(self, store: SqlStore, today: date, timeout_s: float) -> dict[str, Any]:
        """Wait (bounded) until every settled order's callback is acknowledged and none pends; the figures."""
        return await wait_for_callbacks(
            lambda: self.api_orders(today), self.sb.receiver.receiver, store, timeout_s
        )

    async def finish(self, records: Records, today: date, store: SqlStore, wait_s: float) -> dict[str, Any]:
        """Once every line settled: the callbacks waited for (up to ``wait_s``), the client's orders as
        the API lists them then (into ``records``); the report's entries with ``channel_passed``."""
        callbacks = await self.callbacks(store, today, wait_s)
        records.api_orders = await self.api_orders(today)
        return self.report(callbacks) | {"channel_passed": self.passed(callbacks)}

    def report(self, callbacks: dict[str, Any]) -> dict[str, Any]:
        """The run report's channel entries: callbacks, duplicate submissions, the drills."""
        log = self.client.log
        return {
            "callbacks": callbacks,
            "duplicate_submissions": log.duplicate_submissions(),
            "channel": {
                "drills": log.refusals,
                "unexpected": unexpected(log.refusals),
                "mismatches": log.mismatches,
                "timeouts": log.timeouts,
                "resent": dict(log.resent),
                "not_placed": log.not_placed,
                "refunded": log.refunded,
            },
        }

    def passed(self, callbacks: dict[str, Any]) -> bool:
        """Every callback acknowledged, every duplicate answered alike, every drill refused by its code."""
        log = self.client.log
        return (
            callbacks_pass(callbacks)
            and log.duplicates_sent == log.duplicates_identical
            and not unexpected(log.refusals)
            and not log.not_placed
        )


def channel_summary(report: dict[str, Any]) -> list[str]:
    """The channel's lines of the demo's printed report (none without a channel)."""
    if "callbacks" not in report:
        return []
    calls, dupes, drills = report["callbacks"], report["duplicate_submissions"], report["channel"]
    return [
        f"callbacks: settled {calls['settled']} · acknowledged {calls['acknowledged']} · "
        f"pending {calls['pending']}",
        f"duplicate submissions: sent {dupes['sent']} · identical {dupes['identical']}",
        f"channel drills: {len(drills['drills'])} · unexpected {len(drills['unexpected'])}",
    ]
