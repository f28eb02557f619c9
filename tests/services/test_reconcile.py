"""Reconciling a day through the real sandboxes and the real store: each kind of disagreement
seeded the way it happens in the field is found, a clean day finds none, a 1.0 core still
reconciles what the bridge knows, and a day reconciled again keeps its rows."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from bridge.core import reconcile as rc
from bridge.core.models import CST, Recharge
from bridge.core.records import LineRecord
from bridge.core.states import LineState
from bridge.lab.scenario import OrderMaker, PlannedOrder, fetch_subscribers, place_orders
from bridge.services.fulfil import fulfil_due
from bridge.services.intake import poll_all
from bridge.services.jobs import build_scheduler
from bridge.services.planning import plan_due
from bridge.services.reconcile import ReconcileBusy, reconcile_day, reconcile_yesterday
from tests.rig import Rig, line, open_rig

S = LineState
SETTLE_S = 600.0


@pytest.fixture
async def rig(tmp_path: Path, database: str) -> AsyncIterator[Rig]:
    async with open_rig(tmp_path, database=database, reconcile={"settle_s": SETTLE_S}) as r:
        yield r


def _today() -> date:
    return datetime.now(CST).date()


def _planned(ln: LineRecord) -> Recharge:
    [op] = ln.operations
    return Recharge(op.request_id, op.payload["card_no"], op.payload["amount_fen"])


async def _delivered(rig: Rig, card: str, sku: str = "TV-RC-0100", price: str = "100.00") -> LineRecord:
    tid = await rig.order(line(sku, price), message=f"卡号{card}")
    await rig.cycle()
    [ln] = await rig.lines(tid)
    assert ln.state is S.DELIVERED
    return ln


async def test_a_clean_day_reconciles_to_nothing(rig: Rig) -> None:
    cards = await rig.cards()
    for n, (sku, price) in enumerate(
        [("TV-RC-0100", "100.00"), ("TV-CH-FYZQ-3M", "6.00"), ("TV-RC-2000", "2000.00")]
    ):
        await rig.order(line(sku, price, 1 if n < 2 else 3), message=f"卡号{cards[n]}")
    await rig.cycle()
    assert {ln.state for ln in await rig.lines()} == {S.DELIVERED}
    rig.later(2 * SETTLE_S)
    report = await reconcile_day(rig.deps, _today())
    assert report.rows == () and report.listing_available
    run = report.run
    assert (run.paid_lines, run.bridge_lines, run.disagreements) == (3, 3, 0)
    assert run.looked_up == 4 and run.listed == 4  # the 6000-yuan line is two operations
    assert run.by_kind == dict.fromkeys(rc.KINDS, 0)


async def test_each_kind_of_disagreement_is_found(rig: Rig) -> None:
    state = rig.sb.billing.sandbox.state
    cards = await rig.cards()
    forgotten = await _delivered(rig, cards[0])
    edited = await _delivered(rig, cards[1])
    doubled = await _delivered(rig, cards[2])
    extra = await _delivered(rig, cards[3])
    state.forget(forgotten.operations[0].request_id)  # deleted by hand in the billing core
    state.amend(edited.operations[0].request_id, 9000)  # its amount edited by hand
    state.apply(_planned(doubled), dedupe=False)  # an old core applied the request_id again
    state.apply(Recharge(f"main:{extra.tid}:{extra.oid}:7", cards[3], 10000))  # the line under another id
    state.apply(Recharge("counter-20261124-1", cards[4], 3000))  # applied at the counter
    state.apply(Recharge("main:99:99:0", cards[4], 2000))  # this shop's prefix, never planned

    undelivered_tid = await rig.order(line(), message=f"卡号{cards[5]}")
    await poll_all(rig.deps)
    await plan_due(rig.deps)
    await fulfil_due(rig.deps)  # applied; the write-back never ran
    behind_tid = await rig.order(line(), message=f"卡号{cards[6]}")
    await poll_all(rig.deps)
    await plan_due(rig.deps)
    [behind] = await rig.lines(behind_tid)
    assert behind.state is S.READY
    state.apply(_planned(behind))  # applied outside the bridge while the bridge still holds it READY
    unknown_tid = await rig.order(line(), message=f"卡号{cards[7]}")  # paid, never polled

    rig.later(2 * SETTLE_S)
    report = await reconcile_day(rig.deps, _today())
    found = {(r.kind, r.tid, r.request_id) for r in report.rows}
    [undelivered] = await rig.lines(undelivered_tid)
    assert found == {
        (rc.DELIVERED_NOT_APPLIED, forgotten.tid, forgotten.operations[0].request_id),
        (rc.AMOUNT_DIFFERS, edited.tid, edited.operations[0].request_id),
        (rc.APPLIED_TWICE, doubled.tid, doubled.operations[0].request_id),
        (rc.APPLIED_TWICE, extra.tid, f"main:{extra.tid}:{extra.oid}:7"),
        (rc.NOT_SENT, None, "counter-20261124-1"),
        (rc.NOT_SENT, "99", "main:99:99:0"),
        (rc.APPLIED_NOT_DELIVERED, undelivered_tid, undelivered.operations[0].request_id),
        (rc.APPLIED_NOT_DELIVERED, behind_tid, behind.operations[0].request_id),
        (rc.PAID_UNKNOWN, unknown_tid, None),
    }
    amounts = next(r for r in report.rows if r.kind == rc.AMOUNT_DIFFERS)
    assert (amounts.paid_fen, amounts.planned_fen, amounts.applied_fen) == (10000, 10000, 9000)
    assert all(cards[n] not in r.detail for r in report.rows for n in range(8))
    assert report.run.by_kind == {
        rc.PAID_UNKNOWN: 1,
        rc.APPLIED_NOT_DELIVERED: 2,
        rc.DELIVERED_NOT_APPLIED: 1,
        rc.APPLIED_TWICE: 2,
        rc.AMOUNT_DIFFERS: 1,
        rc.NOT_SENT: 2,
        rc.SHOP_UNLISTED: 0,
    }

    # the READY line goes in front of CS; lines already applied or delivered stay where they are
    assert report.flagged == 1
    [behind] = await rig.lines(behind_tid)
    assert (behind.state, behind.reason) == (S.EXCEPTION, rc.APPLIED_NOT_DELIVERED)
    assert (await rig.lines(undelivered_tid))[0].state is S.APPLIED
    assert (await rig.lines(forgotten.tid))[0].state is S.DELIVERED
    stored = await rig.deps.store.reconcile.reconcile_run(_today())
    assert stored is not None
    flagged = {r.row.tid for r in stored[1] if r.flagged}
    assert flagged == {behind_tid}

    # the same day again: the same rows, not copies; the flagged line is not moved twice
    again = await reconcile_day(rig.deps, _today())
    assert {r.key for r in again.rows} == {r.key for r in report.rows}
    run_again = await rig.deps.store.reconcile.reconcile_run(_today())
    assert run_again is not None and len(run_again[1]) == len(report.rows)
    assert {r.row.tid for r in run_again[1] if r.flagged} == {behind_tid}
    assert [r.id for r in run_again[1]] == [r.id for r in stored[1]]


async def test_a_row_no_longer_found_is_cleared_on_the_next_run(rig: Rig) -> None:
    cards = await rig.cards()
    unknown_tid = await rig.order(line(), message=f"卡号{cards[0]}")
    first = await reconcile_day(rig.deps, _today())
    assert [(r.kind, r.tid) for r in first.rows] == [(rc.PAID_UNKNOWN, unknown_tid)]
    await rig.cycle()  # the bridge catches up
    rig.later(2 * SETTLE_S)
    second = await reconcile_day(rig.deps, _today())
    assert second.rows == ()
    stored = await rig.deps.store.reconcile.reconcile_run(_today())
    assert stored is not None
    [row] = stored[1]
    assert row.row.tid == unknown_tid and row.cleared_at is not None


async def test_a_core_without_the_listing_still_reconciles_what_the_bridge_knows(rig: Rig) -> None:
    state = rig.sb.billing.sandbox.state
    cards = await rig.cards()
    forgotten = await _delivered(rig, cards[0])
    state.forget(forgotten.operations[0].request_id)
    state.apply(Recharge("counter-20261124-2", cards[1], 3000))  # only a listing could show it
    rig.sb.billing.sandbox.set_knobs(version="1.0", listing_absent=404)
    report = await reconcile_day(rig.deps, _today())
    assert not report.listing_available and report.run.listing == rc.UNAVAILABLE
    assert [(r.kind, r.tid) for r in report.rows] == [(rc.DELIVERED_NOT_APPLIED, forgotten.tid)]
    assert (report.run.looked_up, report.run.listed) == (1, 0)


async def test_one_instance_reconciles_a_day_at_a_time(rig: Rig) -> None:
    now = rig.deps.clock()
    held = await rig.deps.store.reconcile.take_reconcile_lease(
        _today(), "other-instance", now=now, until=now.replace(year=2100)
    )
    assert held is not None
    with pytest.raises(ReconcileBusy, match="another instance"):
        await reconcile_day(rig.deps, _today())


async def test_the_daily_job_reconciles_yesterday_once(rig: Rig) -> None:
    cards = await rig.cards()
    await rig.order(line(), message=f"卡号{cards[0]}")
    await rig.cycle()
    yesterday = rig.deps.clock().astimezone(CST).date() - timedelta(days=1)
    done = await reconcile_yesterday(rig.deps)
    assert done is not None and done.run.day == yesterday and done.rows == ()
    assert done.run.bridge_lines == 0  # today's order is not yesterday's
    assert await reconcile_yesterday(rig.deps) is None  # another instance, later: already done
    assert [r.day for r in await rig.deps.store.reconcile.reconcile_runs()] == [yesterday]


async def test_the_daily_job_skips_a_day_another_instance_is_reconciling(rig: Rig) -> None:
    now = rig.deps.clock()
    yesterday = now.astimezone(CST).date() - timedelta(days=1)
    assert await rig.deps.store.reconcile.take_reconcile_lease(
        yesterday, "other", now=now, until=now + timedelta(hours=1)
    )
    assert await reconcile_yesterday(rig.deps) is None
    rig.later(2 * 3600)  # the other instance died: its lease ran out
    assert await reconcile_yesterday(rig.deps) is not None


@pytest.mark.parametrize("enabled", [True, False])
async def test_the_scheduler_runs_it_daily_at_the_local_time(rig: Rig, enabled: bool) -> None:
    settings = rig.deps.settings.model_copy(
        update={
            "reconcile": rig.deps.settings.reconcile.model_copy(
                update={"daily_at": "04:30", "enabled": enabled}
            )
        }
    )
    scheduler = build_scheduler(replace(rig.deps, settings=settings))
    job = scheduler.get_job("reconcile")
    if not enabled:
        assert job is None
        return
    fire = job.trigger.get_next_fire_time(None, datetime(2026, 11, 24, 5, 0, tzinfo=CST))
    assert fire == datetime(2026, 11, 25, 4, 30, tzinfo=CST)


async def test_the_demos_order_stream_reconciles_to_nothing(rig: Rig) -> None:
    """30 of the demo's orders (every good kind and every bad kind, which end in EXCEPTION) run
    through the bridge: the three sides agree."""
    subs = await fetch_subscribers(rig.http, rig.sb.billing_url)
    placed: list[PlannedOrder] = []
    await place_orders(
        rig.http, rig.sb.market_url, OrderMaker(rig.deps.runtime.mappings, subs), 30, 0, placed
    )
    for _ in range(3):
        await rig.cycle()
        rig.later(5)
    states = {ln.state for ln in await rig.lines()}
    assert states == {S.DELIVERED, S.EXCEPTION}
    rig.later(2 * SETTLE_S)
    report = await reconcile_day(rig.deps, _today())
    assert report.rows == () and report.flagged == 0
    lines = sum(len(order.lines) for order in placed)
    assert (report.run.paid_lines, report.run.bridge_lines) == (lines, lines)
    delivered = [ln for ln in await rig.lines() if ln.state is S.DELIVERED]
    assert report.run.listed == sum(len(ln.operations) for ln in delivered)  # each applied once, all listed
