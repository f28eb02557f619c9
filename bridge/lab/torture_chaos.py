"""The torture run's bad weather: fault knobs, SIGKILLs, a billing-core restart, a maintenance window.

Each disturbance is one small coroutine on the run's clock, so they overlap as
they would on a sale day: the daemon is killed while the billing core is
closed for settlement, or while it is restarting. The figures each leaves
behind (kills, faults by kind, the backlog and how fast it drained after the
window) go into the report; nothing here decides pass or fail.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from adapters.billing_core.sandbox import BillingKnobs
from adapters.pinduoduo.sandbox import ErrorRates as PddErrorRates
from adapters.pinduoduo.sandbox import PddKnobs
from adapters.taobao.sandbox.knobs import ErrorRates, TaobaoKnobs
from bridge.core.errors import StoreUnavailable
from bridge.core.states import IN_FLIGHT, PROVISIONED
from bridge.lab.daemon_process import DaemonGroup
from bridge.lab.sandboxes import Sandboxes
from bridge.ports import StorePort

TORTURE_BILLING = BillingKnobs(
    latency_ms=15,  # median
    latency_tail_ms=400,  # p99: a long tail
    max_in_flight=12,  # below the bridge's 16: bursts of 429 whenever it is busy
    error_rate=0.05,  # 500 INTERNAL, nothing applied
    lose_answer_rate=0.02,  # applied, then the connection drops
    maintenance_retry_after_s=2,
)
TORTURE_MARKET = TaobaoKnobs(
    latency_ms=(1, 40),
    error_rate=ErrorRates(isp=0.05, call_limit=0.01),
    rate_limit_per_s=120,  # bites in bursts; sustained, it would cap intake below the order rate
    visibility_delay_s=2.0,  # the bridge's polling overlap (60 s) must stay larger
    shift_pages=True,
)
TORTURE_PDD = PddKnobs(
    latency_ms=(1, 40),
    # Taobao's isp.* and call limit per order: Pinduoduo reads an order in two calls (the detail and
    # its virtual fields) where Taobao reads it in one, so each call fails half as often
    error_rate=PddErrorRates(busy=0.015, system=0.01, rate_limit=0.005),
    rate_limit_per_s=120,
    visibility_delay_s=2.0,
    shift_pages=True,
    duplicate_rate=0.05,  # Pinduoduo's own mischief: a row repeated from the page before
    partial_page_rate=0.05,  # a page one row short of what its total promises
)
"""Pinduoduo's weather in a torture: Taobao's where the sandbox has the same knob, and its own page faults."""


@dataclass
class ChaosLog:
    """What the disturbances did, for the report."""

    started: float = field(default_factory=time.monotonic)
    events: list[tuple[float, str]] = field(default_factory=list)
    billing_restarts: int = 0
    kills_mid_call: int = 0
    rate_limit_bursts: int = 0
    outage: dict[str, Any] = field(default_factory=dict)
    store_faults: list[dict[str, Any]] = field(default_factory=list)  # with --store-faults

    def note(self, what: str) -> None:
        self.events.append((round(time.monotonic() - self.started, 2), what))


async def kill_loop(
    daemons: DaemonGroup,
    sb: Sandboxes,
    store: StorePort,
    rng: random.Random,
    kills: int,
    gap_s: tuple[float, float],
    log: ChaosLog,
) -> None:
    """SIGKILL a daemon ``kills`` times at random moments, restarting it at once each time.

    Until a kill has landed mid-call, a kill waits for a call to be out (up to 10 s more): on a
    busy machine a daemon can take longer to start than the gap between two kills, and with
    half the orders polled from Pinduoduo the calls come in bursts.
    """
    for n in range(kills):
        await asyncio.sleep(rng.uniform(*gap_s))
        for _ in range(0 if log.kills_mid_call else 40):  # polled, as a call has no event here
            if await _mid_call(sb, store) != (0, 0):
                break
            await asyncio.sleep(0.25)
        submitted, in_flight = await _mid_call(sb, store)
        index = await daemons.kill_one(rng)
        log.kills_mid_call += submitted + in_flight > 0
        who = f" (instance {index + 1})" if len(daemons.members) > 1 else ""
        log.note(f"kill {n + 1}{who}: {submitted} lines SUBMITTED, {in_flight} billing calls in flight")


async def _mid_call(sb: Sandboxes, store: StorePort) -> tuple[int, int]:
    """(lines SUBMITTED in the store, calls the billing core is handling) right now."""
    try:
        submitted = (await store.views.state_counts()).get("SUBMITTED", 0)
    except StoreUnavailable:  # the database is down for the torture too (--store-faults)
        submitted = 0
    return submitted, sum(sb.billing.sandbox.in_flight.values())


WINDOW_WAIT_S = 45.0
"""How long a settlement window or a 429 burst waits, past its length, for the first call it turns away."""


async def rate_limit_bursts(sb: Sandboxes, rng: random.Random, for_s: float, log: ChaosLog) -> None:
    """429 bursts: every few seconds the billing core takes only 2 calls in flight, for a second.

    Until the billing core has turned a call away with 429, a burst stays on until it does (up
    to ``WINDOW_WAIT_S``), and bursts go on past ``for_s`` (as long again at most): on a busy
    machine a short burst can otherwise fall where the daemon has no more than two calls out (just
    restarted after a kill, in the settlement window, or short of CPU), every time.
    """
    started = time.monotonic()
    refused = False
    while (elapsed := time.monotonic() - started) < for_s or (not refused and elapsed < 2 * for_s):
        await asyncio.sleep(rng.uniform(2.0, 5.0))
        normal = sb.billing.sandbox.knobs.max_in_flight
        before = _served(sb, "429")
        sb.billing.sandbox.set_knobs(max_in_flight=2)
        log.rate_limit_bursts += 1
        await asyncio.sleep(1.0)
        for _ in range(0 if refused else int(WINDOW_WAIT_S / 0.25)):  # polled: no event for a 429 served
            if refused := _served_since(sb, "429", before):
                break
            await asyncio.sleep(0.25)
        refused = refused or _served_since(sb, "429", before)
        sb.billing.sandbox.set_knobs(max_in_flight=normal)  # the current incarnation, after any restart


async def restart_billing(sb: Sandboxes, after_s: float, down_s: float, log: ChaosLog) -> None:
    """Once: the billing core dies mid-request, stays down ``down_s``, comes back from its ledger."""
    await asyncio.sleep(after_s)
    log.note("billing core killed")
    await sb.restart_billing(down_s=down_s)
    log.billing_restarts += 1
    log.note("billing core back")


async def _counts(store: StorePort) -> tuple[int, int]:
    while True:
        try:
            counts = await store.views.state_counts()
            break
        except StoreUnavailable:  # the database is down for the torture too (--store-faults)
            await asyncio.sleep(0.5)
    return sum(counts.get(s.value, 0) for s in IN_FLIGHT), sum(counts.get(s.value, 0) for s in PROVISIONED)


async def maintenance_window(
    sb: Sandboxes,
    store: StorePort,
    after_s: float,
    for_s: float,
    log: ChaosLog,
    capacity: float | None,
    drain_limit_s: float = 60.0,
) -> None:
    """A settlement window (503 MAINTENANCE), then how fast the backlog it built drains.

    The window stays open at least ``for_s`` and until the billing core has
    turned a call away with 503 (up to ``WINDOW_WAIT_S`` more): a short window
    can otherwise fall between two kills, or in a lull while the daemons are
    still taking the orders in, when no daemon calls.
    """
    await asyncio.sleep(after_s)
    before = _served(sb, "503")
    sb.billing.sandbox.set_knobs(maintenance=True)
    log.note("maintenance window opens")
    opened = time.monotonic()
    await asyncio.sleep(for_s)
    for _ in range(int(max(3 * for_s, WINDOW_WAIT_S) / 0.25)):  # polled: no event for "a 503 was served"
        if _served_since(sb, "503", before):
            break
        await asyncio.sleep(0.25)
    sb.billing.sandbox.set_knobs(maintenance=False)  # the current incarnation, after any restart
    for_s = time.monotonic() - opened
    log.note("maintenance window closes")
    backlog, done0 = await _counts(store)
    reopened = time.monotonic()
    left, done = backlog, done0
    while time.monotonic() - reopened < drain_limit_s:
        await asyncio.sleep(0.25)
        left, done = await _counts(store)
        if left <= max(16, backlog // 10):
            break
    elapsed = time.monotonic() - reopened
    log.outage = {
        "maintenance_s": round(for_s, 1),
        "backlog_at_reopen": backlog,
        "backlog_after_drain": left,
        "drain_s": round(elapsed, 1),
        "drain_lines_per_s": round((done - done0) / elapsed, 1) if elapsed > 0 else None,
        "billing_capacity_calls_per_s": capacity,
    }


def _served(sb: Sandboxes, status: str) -> tuple[int, int]:
    """(which billing incarnation, how many calls it has answered with ``status`` so far)."""
    sandbox = sb.billing.sandbox
    calls = sandbox.stats().get("calls", {})
    return id(sandbox), sum(int(outcomes.get(status, 0)) for outcomes in calls.values())


def _served_since(sb: Sandboxes, status: str, before: tuple[int, int]) -> bool:
    """Whether the billing core has answered a call with ``status`` since ``before`` was taken."""
    incarnation, served = _served(sb, status)
    return served > (before[1] if incarnation == before[0] else 0)


def billing_capacity(knobs: BillingKnobs, in_flight: int) -> float | None:
    """Calls/s the billing core can take: in-flight cap ÷ mean latency (lognormal mean)."""
    cap = min(knobs.max_in_flight or in_flight, in_flight)
    if knobs.latency_ms <= 0:
        return None
    sigma = math.log(knobs.latency_tail_ms / knobs.latency_ms) / 2.3263 if knobs.latency_tail_ms > 0 else 0
    mean_s = knobs.latency_ms * math.exp(max(sigma, 0) ** 2 / 2) / 1000
    return round(cap / mean_s, 1)


async def _json(http: aiohttp.ClientSession, url: str) -> dict[str, Any]:
    async with http.get(url) as resp:
        resp.raise_for_status()
        return dict(await resp.json())


def _billing_faults(stats: list[dict[str, Any]]) -> dict[str, int]:
    by_status: Counter[str] = Counter()
    lost_after_apply = slow_applies = 0
    for incarnation in stats:
        lost_after_apply += int(incarnation.get("lost_answers", 0))
        slow_applies += int(incarnation.get("slow_applies", 0))
        for outcomes in incarnation.get("calls", {}).values():
            by_status.update({str(k): int(v) for k, v in outcomes.items()})
    return {
        "rate_limited_429": by_status["429"],
        "maintenance_503": by_status["503"],
        "internal_500": by_status["500"],
        "answers_lost_after_apply": lost_after_apply,
        "calls_without_answer": by_status["lost"],
        "slow_applies": slow_applies,
    }


def _pdd_faults(stats: dict[str, Any], knobs: PddKnobs) -> dict[str, Any]:
    injected = stats.get("injected", {})
    return {
        "busy_errors": int(injected.get("busy", 0)),
        "system_errors": int(injected.get("system", 0)),
        "rate_limit_errors": int(injected.get("rate_limit", 0)) + int(stats.get("rate_limited", 0)),
        "pages_shifted": int(stats.get("pages_shifted", 0)),
        "rows_duplicated": int(stats.get("rows_duplicated", 0)),
        "rows_dropped": int(stats.get("rows_dropped", 0)),
        "visibility_delay_s": knobs.visibility_delay_s,
    }


async def faults_injected(http: aiohttp.ClientSession, sb: Sandboxes) -> dict[str, Any]:
    """Faults by kind, from the sandboxes' stats endpoints (every billing incarnation)."""
    billing = [*sb.billing_history, await _json(http, f"{sb.billing_url}/sandbox/stats")]
    market = await _json(http, f"{sb.market_url}/sandbox/stats")
    pdd = await _json(http, f"{sb.pdd_url}/sandbox/stats")
    injected = market.get("errors_injected", {})
    return {
        "pinduoduo": _pdd_faults(pdd, sb.pdd.sandbox.knobs),
        "billing": _billing_faults(billing),
        "marketplace": {
            "isp_errors": int(injected.get("isp", 0)),
            "call_limit_errors": int(injected.get("call_limit", 0)),
            "rate_limited": int(market.get("rate_limited", 0)),
            "pages_shifted": int(market.get("pages_shifted", 0)),
            "visibility_delay_s": sb.market.sandbox.knobs.visibility_delay_s,
        },
    }
