"""Large orders are a person's decision: lines above a ceiling wait for an admin, then go the normal way."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import cast

import pytest

from bridge.core.records import LineRecord
from bridge.core.states import LineState
from bridge.services import ceilings, cs_actions
from bridge.services.planning import ceilings_for, plan_due
from bridge.settings import CeilingSettings
from bridge.store import SqlStore
from tests.factories import order_line, trade
from tests.refusals import REFUSED, refuse_audit
from tests.rig import Rig, line, open_rig

S = LineState
LIMITS = {"line_amount_fen": 50_000, "trade_amount_fen": 80_000}
"""¥500 a line, ¥800 a trade (quantities: the catalogue's defaults)."""


@pytest.fixture
async def capped(tmp_path: Path, database: str) -> AsyncIterator[Rig]:
    """A bridge whose lines above ¥500, and trades above ¥800, wait for an admin."""
    async with open_rig(tmp_path, database=database, ceilings=LIMITS) as r:
        yield r


async def _placed(rig: Rig, *lines: dict[str, object]) -> list[LineRecord]:
    """An order paid with a good card and taken through one pass of every job: its lines."""
    tid = await rig.order(*lines, message=(await rig.cards())[0])
    await rig.cycle()
    return await rig.lines(tid)


async def test_a_line_above_its_ceiling_waits_and_nothing_is_sent(capped: Rig) -> None:
    """6 × ¥100 = ¥600 > ¥500: EXCEPTION LINE_OVER_CEILING, the figures in Chinese, the ledger empty."""
    [ln] = await _placed(capped, line(qty=6))
    assert (ln.state, ln.reason) == (S.EXCEPTION, "LINE_OVER_CEILING")
    assert ln.reason_detail == "金额 ¥600.00 超过单笔上限 ¥500.00"
    assert ln.operations == () and await capped.ledger(ln.tid) == []


async def test_an_admins_approval_sends_it_once_through_the_normal_path(capped: Rig) -> None:
    """Approved, the line is planned, applied once and delivered; more passes send nothing again."""
    [ln] = await _placed(capped, line(qty=6))
    outcome = await ceilings.approve(capped.deps, "admin1", ln.id, admin=True, note="买家确认")
    assert (outcome.status, outcome.code) == ("done", "ceiling_approved")
    for _ in range(3):
        await capped.cycle()
    [now] = await capped.lines(ln.tid)
    assert (now.state, now.ceiling_approved_by) == (S.DELIVERED, "admin1")
    assert [op["amount_fen"] for op in await capped.ledger(ln.tid)] == [60_000]
    [entry] = await capped.deps.store.console.audit_entries(actor="admin1")
    assert (entry.action, entry.outcome) == ("ceiling_approve", "done")


async def test_cs_cannot_approve(capped: Rig) -> None:
    """CS's approval is refused (and audited); the line keeps waiting, nothing is sent."""
    [ln] = await _placed(capped, line(qty=6))
    outcome = await ceilings.approve(capped.deps, "cs1", ln.id, admin=False)
    assert (outcome.status, outcome.code) == ("refused", "ceiling_admin_only")
    await capped.cycle()
    [now] = await capped.lines(ln.tid)
    assert (now.state, now.reason) == (S.EXCEPTION, "LINE_OVER_CEILING") and await capped.ledger(ln.tid) == []
    [entry] = await capped.deps.store.console.audit_entries(actor="cs1")
    assert (entry.action, entry.outcome) == ("ceiling_approve", "refused")


async def test_a_retry_by_cs_does_not_get_past_the_ceiling(capped: Rig) -> None:
    """CS's retry re-plans through the same planner, which refuses the line with the ceiling's reason."""
    [ln] = await _placed(capped, line(qty=6))
    outcome = await cs_actions.retry(capped.deps, "cs1", ln.id)
    assert (outcome.status, outcome.params.get("reason")) == ("refused", "LINE_OVER_CEILING")
    await capped.cycle()
    assert await capped.ledger(ln.tid) == []


async def test_a_trade_above_its_ceiling_waits_whole(capped: Rig) -> None:
    """Three ¥300 lines (each under ¥500) make ¥900 > ¥800: every line waits, nothing is sent."""
    lines = await _placed(capped, line(qty=3), line(qty=3), line(qty=3))
    assert {(ln.state, ln.reason) for ln in lines} == {(S.EXCEPTION, "TRADE_OVER_CEILING")}
    assert lines[0].reason_detail == "整笔订单金额 ¥900.00 超过整单上限 ¥800.00"
    assert await capped.ledger(lines[0].tid) == []


async def test_lines_at_their_ceilings_are_delivered_as_before(capped: Rig) -> None:
    """A ¥500 line and a ¥300 line (a ¥800 trade) are at the ceilings, not above: delivered."""
    lines = await _placed(capped, line(qty=5), line(qty=3))
    await capped.cycle()
    lines = await capped.lines(lines[0].tid)
    assert {ln.state for ln in lines} == {S.DELIVERED}
    assert sorted(op["amount_fen"] for op in await capped.ledger(lines[0].tid)) == [30_000, 50_000]


async def test_an_approved_line_is_not_stopped_again_when_planned_again(capped: Rig) -> None:
    """Approved without a card, it waits for one; the card CS then enters gets it provisioned."""
    tid = await capped.order(line(qty=6), message="没写卡号")
    await capped.cycle()
    [ln] = await capped.lines(tid)
    await ceilings.approve(capped.deps, "admin1", ln.id, admin=True)
    [ln] = await capped.lines(tid)
    assert (ln.state, ln.reason) == (S.EXCEPTION, "CARD_MISSING")
    outcome = await cs_actions.correct_card(capped.deps, "cs1", ln.id, (await capped.cards())[0])
    assert (outcome.status, outcome.code) == ("done", "queued")
    await capped.cycle()
    assert [op["amount_fen"] for op in await capped.ledger(tid)] == [60_000]


async def test_lines_planned_from_the_store_are_held_against_their_trade_too(capped: Rig) -> None:
    """Lines planned by ``plan_due`` (no trade at hand) have their trade added up by the store."""
    stored = trade(7001, *(order_line(2001 + k, qty=3) for k in range(3)))
    deps = capped.deps
    await deps.store.intake.save_trade("main", stored, deps.clock(), "test")
    await plan_due(deps)
    lines = await capped.lines("7001")
    assert {(ln.state, ln.reason) for ln in lines} == {(S.EXCEPTION, "TRADE_OVER_CEILING")}


async def test_a_shops_ceiling_comes_before_the_global_one_and_the_catalogues(rig: Rig) -> None:
    """Shop key, else [ceilings] key, else derived from the catalogue (¥2,000 card: ¥10,000, 36; ×2)."""
    settings = rig.deps.settings
    shop = settings.shops["main"].model_copy(update={"ceilings": CeilingSettings(line_amount_fen=700)})
    settings = settings.model_copy(
        update={"shops": {"main": shop}, "ceilings": CeilingSettings(line_amount_fen=500, trade_quantity=9)}
    )
    found = ceilings_for(replace(rig.deps, settings=settings), "main")
    assert (found.line_amount_fen, found.line_quantity) == (700, 36)
    assert (found.trade_amount_fen, found.trade_quantity) == (2_000_000, 9)


async def test_an_approval_of_a_line_waiting_for_something_else_changes_nothing(capped: Rig) -> None:
    """A line in EXCEPTION for its card is not the admin's to wave through: unchanged, still waiting."""
    tid = await capped.order(line(), message="没写卡号")
    await capped.cycle()
    [ln] = await capped.lines(tid)
    outcome = await ceilings.approve(capped.deps, "admin1", ln.id, admin=True)
    assert (outcome.status, outcome.code) == ("unchanged", "not_waiting")
    [now] = await capped.lines(tid)
    assert (now.state, now.reason, now.ceiling_approved_by) == (S.EXCEPTION, "CARD_MISSING", None)


async def test_an_approval_whose_audit_row_is_refused_leaves_the_line_waiting(capped: Rig) -> None:
    """The database refuses the approval's audit row: the line still waits, unapproved, nothing sent."""
    [ln] = await _placed(capped, line(qty=6))
    await refuse_audit(cast(SqlStore, capped.deps.store).engine, "ceiling_approve")
    with pytest.raises(REFUSED):
        await ceilings.approve(capped.deps, "admin1", ln.id, admin=True)
    await capped.cycle()
    [now] = await capped.lines(ln.tid)
    assert (now.state, now.reason, now.ceiling_approved_by) == (S.EXCEPTION, "LINE_OVER_CEILING", None)
    assert await capped.ledger(ln.tid) == []
