"""Push intake end to end: the marketplace's messages through the bridge to the billing core, on both engines.

The marketplace sandbox repeats, reorders and drops messages; the billing core
does not deduplicate, so a line provisioned twice would show twice in its
ledger. Messages carry ids only, so each is just a reason to read the trade.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from adapters.billing_core.sandbox import BillingKnobs
from bridge.core import request_ids
from bridge.core.errors import Retryable
from bridge.core.states import LineState
from bridge.core.trades import Trade
from bridge.ports import StorefrontPort
from bridge.services.delivery import write_back_due
from bridge.services.deps import Deps
from bridge.services.fulfil import fulfil_due
from bridge.services.intake import poll_all
from bridge.services.jobs import build_scheduler
from bridge.services.planning import plan_due
from bridge.services.push import app_consumers, push_all, push_once
from tests.rig import Rig, line, open_rig

SHOP = "main"
SELLER = "sandbox_c_1"


@pytest.fixture
async def rig(tmp_path: Path, database: str) -> AsyncIterator[Rig]:
    """The rig on a billing core that applies a repeated request_id again (duplicates would show)."""
    async with open_rig(tmp_path, database=database, billing_knobs=BillingKnobs(dedupe=False)) as r:
        yield r


async def _push_pass(deps: Deps) -> None:
    """The daemon's work without polling: push, plan, provision, write back."""
    await push_all(deps)
    await plan_due(deps)
    await fulfil_due(deps)
    await write_back_due(deps)


async def _delivered(rig: Rig) -> set[str]:
    lines = await rig.lines()
    by_trade: dict[str, set[LineState]] = {}
    for record in lines:
        by_trade.setdefault(record.tid, set()).add(record.state)
    return {tid for tid, states in by_trade.items() if states == {LineState.DELIVERED}}


async def _orders(rig: Rig, count: int) -> dict[str, int]:
    """``count`` paid trades, every third with two lines; tid → number of lines."""
    placed = {}
    for i in range(count):
        lines = [line(), line("TV-RC-0050", "50.00")] if i % 3 == 0 else [line()]
        card = (await rig.cards())[i % 5]
        placed[await rig.order(*lines, message=f"卡号 {card}")] = len(lines)
    return placed


def _applied_per_line(ledger: list[dict[str, Any]]) -> Counter[tuple[str, str, str]]:
    """How many operations the billing core applied for each (shop, tid, oid)."""
    found = [request_ids.parse(op["request_id"]) for op in ledger]
    assert None not in found  # every operation is one the bridge named
    return Counter(rid.line for rid in found if rid is not None)


async def test_repeated_reordered_and_dropped_messages_provision_every_paid_line_exactly_once(
    rig: Rig,
) -> None:
    """Push alone delivers every trade whose message arrived; polling finds the dropped ones; none twice."""
    rig.sb.market.sandbox.update_knobs(
        tmc_duplicate_rate=0.5, tmc_reorder_rate=1.0, tmc_drop_rate=0.3, tmc_redelivery_s=0.3
    )
    placed = await _orders(rig, 15)
    for _ in range(6):
        await _push_pass(rig.deps)
    stats = rig.sb.market.sandbox.stats.messages
    assert stats["dropped"] >= 1 and stats["duplicated"] >= 1
    delivered = await _delivered(rig)
    assert len(delivered) == len(placed) - stats["dropped"]  # every message that arrived, and only those
    assert rig.sb.market.sandbox.stats.calls.get("taobao.trades.sold.increment.get", 0) == 0

    await asyncio.sleep(0.4)  # anything handed out and unconfirmed would come back now
    await poll_all(rig.deps)  # the safety net: the trades whose message was lost
    for _ in range(4):
        await _push_pass(rig.deps)
    assert await _delivered(rig) == set(placed)
    applied = _applied_per_line(await rig.ledger())
    assert len(applied) == sum(placed.values()) and set(applied.values()) == {1}
    assert rig.sb.market.sandbox.messages.pending() == []  # every message handed out was confirmed


class _Flaky:
    """A marketplace whose full reads of one trade fail ``failures`` times, then work."""

    def __init__(self, real: StorefrontPort, tid: str, failures: int) -> None:
        self._real = real
        self.tid = tid
        self.failures = failures

    async def get_trade(self, tid: str) -> Trade:
        if tid == self.tid and self.failures:
            self.failures -= 1
            raise Retryable("the marketplace is busy", code="TOP_HTTP_502")
        return await self._real.get_trade(tid)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


async def test_a_message_whose_trade_could_not_be_read_stays_unconfirmed_and_comes_back(rig: Rig) -> None:
    # long enough that the round finding none comes before the message is handed out again, even on a
    # loaded machine (0.2 s let a slow second round get it back and count a third round)
    rig.sb.market.sandbox.update_knobs(tmc_redelivery_s=1.5)
    tid = await rig.order(message=f"卡号 {(await rig.cards())[0]}")
    flaky = _Flaky(rig.deps.shops[SHOP], tid, failures=1)
    deps = replace(rig.deps, shops={SHOP: flaky})  # type: ignore[dict-item]  # a wrapped port
    with capture_logs() as logs:
        report, empty = await push_all(deps)  # a round with the message, then one finding none
    assert empty.messages == 0
    assert report.unconfirmed == [tid] and report.confirmed == 0
    assert [e["tid"] for e in logs if e["event"] == "pushed_trade_not_stored"] == [tid]
    assert await rig.deps.store.views.find_trades(tid, SHOP) == []
    assert len(rig.sb.market.sandbox.messages.pending()) == 1
    await asyncio.sleep(1.6)
    again = (await push_all(deps))[0]
    assert again.confirmed == 1
    assert [record.state for record in await rig.lines(tid)] == [LineState.READY]
    assert rig.sb.market.sandbox.messages.pending() == []


async def test_a_message_of_another_seller_is_confirmed_and_left_alone(rig: Rig) -> None:
    """Shops sharing an app get each other's messages: only our seller's trades are read."""
    shop = rig.deps.settings.shops[SHOP].model_copy(update={"seller_nick": SELLER})
    deps = replace(rig.deps, settings=rig.deps.settings.model_copy(update={"shops": {SHOP: shop}}))
    ours = await rig.order(message=f"卡号 {(await rig.cards())[0]}")
    theirs = await rig.order(message=f"卡号 {(await rig.cards())[1]}")
    board = rig.sb.market.sandbox.messages
    [paid_theirs] = [m for m in board.pending() if str(m.content["tid"]) == theirs]
    board.confirm("default", [paid_theirs.id])
    board.publish("taobao_trade_TradeBuyerPay", {"tid": theirs}, "another_seller", 42)
    with capture_logs() as logs:
        report = (await push_all(deps))[0]
    assert (report.messages, report.confirmed, report.ignored) == (2, 2, 1)
    assert [e["reason"] for e in logs if e["event"] == "message_ignored"] == ["another seller"]
    assert await rig.deps.store.views.find_trades(theirs, SHOP) == []
    assert len(await rig.deps.store.views.find_trades(ours, SHOP)) == 1
    assert board.pending() == []


async def test_the_daemon_schedules_push_only_when_enabled(rig: Rig) -> None:
    assert "push" in {job.id for job in build_scheduler(rig.deps).get_jobs()}
    off = rig.deps.settings.model_copy(
        update={"push": rig.deps.settings.push.model_copy(update={"enabled": False})}
    )
    assert "push" not in {job.id for job in build_scheduler(replace(rig.deps, settings=off)).get_jobs()}


async def test_a_stopping_daemon_reads_no_more_trades_and_leaves_their_messages(rig: Rig) -> None:
    """On shutdown the batch in hand is not read: its messages stay unconfirmed for the next consumer."""
    tid = await rig.order(message=f"卡号 {(await rig.cards())[0]}")
    source = rig.deps.shops[SHOP].push
    assert source is not None
    batch = await source.consume(10)
    rig.sb.market.sandbox.messages.pending()[0].out_until = None  # handed out again at once
    rig.deps.runtime.stopping.set()
    assert await push_all(rig.deps) == []
    [app] = list(app_consumers(rig.deps))
    report = await push_once(rig.deps, app)
    assert (report.messages, report.unconfirmed, report.confirmed) == (1, [tid], 0)
    assert await rig.deps.store.views.find_trades(tid, SHOP) == []
    assert [str(m.id) for m in rig.sb.market.sandbox.messages.pending()] == [batch.messages[0].message_id]


class _NoPush:
    """The shop's port with no push configured."""

    push = None

    def __init__(self, real: Any) -> None:
        self._real = real

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


async def test_a_shop_without_push_consumes_nothing_and_is_left_to_polling(rig: Rig) -> None:
    """No push source: a round reads no message and leaves the trade's message where it is."""
    await rig.order(message=f"卡号 {(await rig.cards())[0]}")
    deps = replace(rig.deps, shops={SHOP: _NoPush(rig.deps.shops[SHOP])})
    [app] = list(app_consumers(deps))
    report = await push_once(deps, app)
    assert (report.messages, report.confirmed) == (0, 0)
    assert len(rig.sb.market.sandbox.messages.pending()) == 1
