"""The torture's reversal phase (``bridge torture --reversals N``): refunds after delivery, reversed
under the same faults, checked against the billing sandbox's ledger.

Once every line has settled, N delivered lines are refunded in the marketplace
sandbox; the daemons (polling) send them to REVERSAL_PENDING. The run then
does what CS and an admin would (``ReversalStorePort``: the request, and the
approval of those above the threshold), and the daemons' reversal job
performs them while the billing core loses a share of the reversals' answers
after undoing them, and while daemons are SIGKILLed. The check is the
billing sandbox's own count of each operation's reversals: none undone twice
(``double_reversals``), every part of every requested line undone and the line
REVERSED (``reversals_lost``), and nothing undone that was not asked
(``reversals_unasked``).
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

import aiohttp

from bridge.core.records import LineRecord
from bridge.core.reversals import needs_approval, parts_to_reverse
from bridge.core.states import LineState
from bridge.lab.daemon_process import DaemonGroup
from bridge.lab.sandboxes import Sandboxes
from bridge.lab.torture_chaos import ChaosLog, kill_loop
from bridge.ports import StorePort

S = LineState
ACTOR = "torture-cs"
APPROVER = "torture-admin"
LOSE_REVERSAL_ANSWERS = 0.3
"""With faults on, this share of reversals is undone and then its answer dropped."""


async def _post(http: aiohttp.ClientSession, url: str, body: dict[str, Any]) -> None:
    async with http.post(url, json=body) as resp:
        resp.raise_for_status()


async def _wait_states(
    store: StorePort, ids: list[int], states: frozenset[LineState], timeout_s: float
) -> list[LineRecord]:
    """The lines once each is in one of ``states``, or as they are when the time is up."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = [ln for ln in [await store.console.line_by_id(i) for i in ids] if ln is not None]
        if all(ln.state in states for ln in found) or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.5)


async def reversal_phase(
    http: aiohttp.ClientSession,
    sb: Sandboxes,
    daemons: DaemonGroup,
    store: StorePort,
    log: ChaosLog,
    *,
    count: int,
    seed: int,
    faults: bool,
    kills: int,
    threshold_fen: int,
    timeout_s: float,
    shop: str,
) -> dict[str, Any]:
    """Refund ``count`` delivered lines of the Taobao ``shop``, reverse them under the faults, and count
    what the ledger shows (Taobao refunds one line; a Pinduoduo after-sale takes the whole order)."""
    delivered = [
        ln
        for ln in await store.views.all_lines()
        if ln.shop == shop and ln.state is S.DELIVERED and parts_to_reverse(ln)
    ]
    chosen = random.Random(seed).sample(delivered, min(count, len(delivered)))
    ids = [ln.id for ln in chosen]
    for ln in chosen:
        await _post(
            http, f"{sb.market_url}/sandbox/trades/{ln.tid}/refund", {"oid": ln.oid, "outcome": "success"}
        )
    waiting = await _wait_states(store, ids, frozenset({S.REVERSAL_PENDING}), timeout_s)
    log.note(
        f"{sum(ln.state is S.REVERSAL_PENDING for ln in waiting)} of {len(ids)} refunded lines wait for CS"
    )
    if faults:
        await _post(
            http, f"{sb.billing_url}/sandbox/knobs", {"lose_reversal_answer_rate": LOSE_REVERSAL_ANSWERS}
        )
    chaos = asyncio.create_task(
        kill_loop(daemons, sb, store, random.Random(seed + 99), kills, (1.0, 3.0), log)
    )
    asked = approved = 0
    for ln in waiting:
        if ln.state is not S.REVERSAL_PENDING:
            continue
        approval = needs_approval(ln, threshold_fen)
        now = await store.database_time()
        parts = parts_to_reverse(ln)
        asked += await store.reversals.request_reversal(
            ln, parts, approval=approval, note="", now=now, actor=ACTOR
        )
        requested = await store.console.line_by_id(ln.id) if approval else None
        if requested is not None and requested.state is S.REVERSAL_REQUESTED:
            approved += await store.reversals.approve_reversal(
                requested, parts, note="", now=now, actor=APPROVER
            )
    log.note(f"{asked} reversals requested, {approved} approved by an admin")
    try:
        await chaos
    finally:
        chaos.cancel()
    done = frozenset({S.REVERSED, S.REVERSAL_PENDING})
    final = await _wait_states(store, ids, done, timeout_s)
    for member in daemons.members:  # a daemon restarted by the last kill is up before the run stops it
        if member.running:
            await member.wait_ready()
    return await _verdict(http, sb, chosen, final)


async def _verdict(
    http: aiohttp.ClientSession, sb: Sandboxes, chosen: list[LineRecord], final: list[LineRecord]
) -> dict[str, Any]:
    async with http.get(f"{sb.billing_url}/sandbox/stats") as resp:
        stats = await resp.json()
    counts: dict[str, int] = stats["reversals"]["by_request_id"]
    asked = {op.request_id for ln in chosen for op in parts_to_reverse(ln)}
    by_id = {ln.id: ln for ln in final}
    lost = sum(
        1
        for ln in chosen
        if by_id.get(ln.id) is None
        or by_id[ln.id].state is not S.REVERSED
        or any(counts.get(op.request_id, 0) < 1 for op in parts_to_reverse(ln))
    )
    return {
        "reversals_requested": len(chosen),
        "reversed": sum(ln.state is S.REVERSED for ln in final),
        "double_reversals": sum(1 for n in counts.values() if n > 1),
        "reversals_lost": lost,
        "reversals_unasked": sum(1 for rid in counts if rid not in asked),
        "reversal_answers_lost": int(stats.get("lost_reversal_answers", 0)),
    }
