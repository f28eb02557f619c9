"""The channel client in ``bridge torture`` (``TortureOptions.api``): its orders, a hostile receiver,
kills with callbacks pending.

The run's orders are dealt in turn to Taobao, Pinduoduo and the order API
(``place_dealt``), the channel's through ``ChannelRun`` (its duplicates,
timeouts and drills; a request the killed daemon never answered is sent again,
signed afresh). The callback receiver is hostile from the start
(``HOSTILE_RECEIVER``: 500s, dropped connections, answers slower than the
sender waits) and is down for a window while orders flow (``receiver_chaos``);
``kill_with_callbacks_pending`` SIGKILLs a daemon once the outbox holds
notifications not yet acknowledged (waiting for some, bounded), and records
how many: at least one such kill is required. At the end the receiver calms
down and the run waits (bounded) until every settled order's callback is
acknowledged (``bridge.lab.callbacks``).
"""

from __future__ import annotations

import asyncio
import random
import time
from asyncio import Task
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import aiohttp

from bridge.core.errors import StoreUnavailable
from bridge.lab.callbacks import pending_callbacks
from bridge.lab.daemon_process import DaemonGroup
from bridge.lab.demo_channel import ChannelRun
from bridge.lab.order_kinds import OrderMaker, PlannedOrder, Storefront
from bridge.lab.receiver import ReceiverKnobs
from bridge.lab.sandboxes import Sandboxes
from bridge.lab.scenario import place_order
from bridge.lab.torture_chaos import ChaosLog
from bridge.lab.verify import Records
from bridge.settings_api import ApiSettings
from bridge.store import SqlStore

__all__ = [
    "CALLBACKS_WAIT_S",
    "DEALT",
    "HOSTILE_RECEIVER",
    "CallbackKills",
    "ChannelTorture",
    "kill_with_callbacks_pending",
    "place_dealt",
    "receiver_chaos",
]

DEALT: tuple[Storefront, ...] = ("taobao", "pinduoduo", "api")
"""With the channel, order n goes to the (n mod 3)-th: a third each."""

HOSTILE_RECEIVER = ReceiverKnobs(
    error_rate=0.15, drop_rate=0.1, slow_rate=0.05, slow_s=12.0, spoils_per_key=1
)
"""The channel's receiver in a torture: 30 % of callbacks fail one way or another (answers 12 s late are
past the sender's 10 s), each notification at most once by these shares (the sender waits longer after
each failure: 5 s, 15 s, 1 min, 5 min …; with the outage's two at most, the fourth try is within
~2 min, inside ``CALLBACKS_WAIT_S``)."""
DOWN_S = 10.0
"""The receiver's outage: two tries of one notification at most fall in it (5 s apart, the next 15 s
later)."""


CALLBACKS_WAIT_S = 180.0
"""How long the torture waits, once every line settled and the receiver calmed, for the last callbacks."""


@dataclass
class CallbackKills:
    """The kills that fell with callbacks pending: the outbox's unacknowledged count at each."""

    pending_at_kill: list[int] = field(default_factory=list)


async def place_dealt(
    http: aiohttp.ClientSession,
    urls: Mapping[Storefront, str],
    maker: OrderMaker,
    channel: ChannelRun,
    plan: tuple[int, float],
    placed: list[PlannedOrder],
) -> None:
    """``count`` orders at ``rate`` a second, dealt to ``DEALT`` in turn, each on its own storefront."""
    count, rate = plan
    sem = asyncio.Semaphore(8)

    async def one(n: int, order: PlannedOrder) -> None:
        async with sem:
            if order.storefront != "api":
                placed.append(await place_order(http, urls[order.storefront], order))
            elif await channel.place(order, n // len(DEALT)) is not None:
                placed.append(order)

    started = time.monotonic()
    tasks = []
    for n in range(count):
        tasks.append(asyncio.create_task(one(n, maker.make_split(n, DEALT))))
        if rate > 0:
            await asyncio.sleep(max(0.0, started + (n + 1) / rate - time.monotonic()))
    await asyncio.gather(*tasks)


async def receiver_chaos(sb: Sandboxes, at_s: float, down_s: float, log: ChaosLog) -> None:
    """The receiver down (connections dropped) for ``down_s`` from ``at_s`` into the run, or from the
    first callback after it (up to a minute later): an outage nobody calls during proves nothing."""
    receiver = sb.receiver.receiver
    await asyncio.sleep(at_s)
    for _ in range(240):  # polled: the receiver has no event for a call
        if receiver.calls > 0:
            break
        await asyncio.sleep(0.25)
    receiver.down_for(down_s, "drop")
    log.note(f"callback receiver down for {down_s:g} s")


async def kill_with_callbacks_pending(
    daemons: DaemonGroup,
    store: SqlStore,
    kills: CallbackKills,
    plan: tuple[float, float, random.Random],
    log: ChaosLog,
) -> None:
    """From ``at_s`` into the run, wait (up to ``wait_s``) for callbacks pending in the outbox, then
    SIGKILL a daemon (restarted at once) and record how many were pending."""
    at_s, wait_s, rng = plan
    await asyncio.sleep(at_s)
    pending = 0
    for _ in range(int(wait_s / 0.25)):  # polled: the outbox has no event to wait on
        if (pending := await _pending(store)) > 0:
            break
        await asyncio.sleep(0.25)
    await daemons.kill_one(rng)
    if pending:
        kills.pending_at_kill.append(pending)
    log.note(f"kill with {pending} callbacks pending")


async def _pending(store: SqlStore) -> int:
    try:
        return await pending_callbacks(store)
    except StoreUnavailable:  # the database faulted for the torture too (--store-faults): none seen yet
        return 0


@dataclass
class ChannelTorture:
    """The channel's share of one torture: its API (the first daemon's), its client, its kills."""

    sb: Sandboxes
    store: SqlStore
    api: ApiSettings
    kills: CallbackKills = field(default_factory=CallbackKills)
    run: ChannelRun | None = None

    def chaos(
        self, daemons: DaemonGroup, span_s: float, seed: int, faults: bool, log: ChaosLog
    ) -> list[Task[None]]:
        """The receiver's down window (with faults) and the kill with callbacks pending."""
        tasks = [
            asyncio.create_task(
                kill_with_callbacks_pending(
                    daemons, self.store, self.kills, (0.5 * span_s, 60.0, random.Random(seed * 10 + 7)), log
                )
            )
        ]
        if faults:
            tasks.append(asyncio.create_task(receiver_chaos(self.sb, 0.3 * span_s, DOWN_S, log)))
        return tasks

    async def prepare(self, http: aiohttp.ClientSession, maker: OrderMaker) -> None:
        """The client, once the API answers, and its drills (before the kills begin)."""
        self.run = ChannelRun.open(http, self.sb, self.api)
        await self.run.before(maker)

    async def place(
        self,
        http: aiohttp.ClientSession,
        maker: OrderMaker,
        plan: tuple[int, float],
        placed: list[PlannedOrder],
    ) -> None:
        """The run's orders dealt to the marketplaces and the channel (after ``prepare``)."""
        if self.run is None:
            raise RuntimeError("the channel's client is made by prepare()")
        urls: dict[Storefront, str] = {"taobao": self.sb.market_url, "pinduoduo": self.sb.pdd_url, "api": ""}
        await place_dealt(http, urls, maker, self.run, plan, placed)

    async def finish(self, records: Records, today: date, log: ChaosLog) -> dict[str, Any]:
        """Once every line settled: the receiver calm, the API's record of the orders, the callbacks
        waited for; the report's channel entries with ``channel_passed``."""
        if self.run is None:
            return {"channel_passed": False}
        self.sb.receiver.receiver.calm()
        log.note("callback receiver calm")
        figures = await self.run.finish(records, today, self.store, CALLBACKS_WAIT_S)
        passed = bool(figures["channel_passed"]) and bool(self.kills.pending_at_kill)
        return figures | {"callback_kills": self.kills.pending_at_kill, "channel_passed": passed}

    def verified(self, placed: list[PlannedOrder]) -> list[PlannedOrder]:
        """The orders verified like any shop's: the marketplaces' and the channel's not refunded."""
        return [o for o in placed if o.storefront != "api"] + (self.run.verified_orders() if self.run else [])
