"""Reversals from the console's order page: request, approve, reject, settle; clicking twice reverses once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from importlib import resources
from pathlib import Path

import pytest

from bridge.core.records import LineRecord
from bridge.core.states import LineState
from bridge.web import make_console_app
from bridge.web.i18n import catalogue
from tests.rig import open_rig
from tests.web.conftest import ClientFactory, Desk
from tests.web.rig import add_users, console_settings
from tests.web.test_messages import _outcome_codes

S = LineState


@pytest.fixture
async def strict(tmp_path: Path, database: str, aiohttp_client: ClientFactory) -> AsyncIterator[Desk]:
    """The console over a bridge whose reversals above 50 yuan need an admin's approval."""
    async with open_rig(
        tmp_path, settings_for=console_settings, database=database, reversal={"approval_threshold_fen": 5000}
    ) as rig:
        await add_users(rig.deps)
        yield Desk(rig, await aiohttp_client(make_console_app(rig.deps)))


async def _refunded(desk: Desk, nth: int) -> LineRecord:
    """A delivered 100-yuan top-up the buyer was then refunded for: REVERSAL_PENDING."""
    rig = desk.rig
    tid = await rig.order(message=(await rig.cards())[nth])
    ln = await rig.refunded_after_delivery(tid, "success")
    return ln


async def _reversals(desk: Desk) -> dict[str, int]:
    stats = await desk.rig.get(f"{desk.rig.sb.billing_url}/sandbox/stats")
    return dict(stats["reversals"]["by_request_id"])


async def _state(desk: Desk, ln: LineRecord) -> LineRecord:
    found = await desk.deps.store.console.line_by_id(ln.id)
    assert found is not None
    return found


def test_every_outcome_of_the_reversal_actions_has_a_text() -> None:
    source = resources.files("bridge.services").joinpath("reversals.py").read_text("utf-8")
    codes = _outcome_codes(source)
    assert codes and {f"outcome.{c}" for c in codes} <= set(catalogue()["zh"])


async def test_cs_reverses_from_the_order_page_and_a_second_click_reverses_nothing_more(desk: Desk) -> None:
    ln = await _refunded(desk, 20)
    await desk.login("cs1")
    page = await (await desk.client.get(f"/orders/{ln.shop}/{ln.tid}")).text()
    assert f"/reversals/{ln.id}/request" in page and "申请冲正" in page
    first = await desk.post(f"/reversals/{ln.id}/request", {"note": "买家已退款"})
    second = await desk.post(f"/reversals/{ln.id}/request", {"note": "买家已退款"})
    assert "done:reversed" in first.headers["Location"]
    assert "unchanged:not_waiting" in second.headers["Location"]
    assert (await _state(desk, ln)).state is S.REVERSED
    assert list((await _reversals(desk)).values()) == [1]
    shown = await (await desk.client.get(first.headers["Location"])).text()
    assert "已冲正" in shown and "冲正完成" in shown  # the state badge and the timeline event
    await desk.rig.cycle()
    trade = await desk.rig.market_trade(ln.tid)
    assert "已退款冲正" in trade["memo"] and trade["flag"] == 3


async def test_above_the_threshold_cs_requests_and_only_an_admin_approves(strict: Desk) -> None:
    desk = strict
    ln = await _refunded(desk, 21)
    await desk.login("cs1")
    asked = await desk.post(f"/reversals/{ln.id}/request", {"note": "买家已退款"})
    assert "done:reversal_awaits_approval" in asked.headers["Location"]
    page = await (await desk.client.get(f"/orders/{ln.shop}/{ln.tid}")).text()
    assert "等待管理员批准" in page and f"/reversals/{ln.id}/approve" not in page
    refused = await desk.post(f"/reversals/{ln.id}/approve")
    assert "refused:admin_only" in refused.headers["Location"]
    queue = await (await desk.client.get("/queue?state=REVERSAL_REQUESTED")).text()
    assert "待审批的冲正" in queue and str(ln.tid) in queue
    await desk.login("admin1")
    page = await (await desk.client.get(f"/orders/{ln.shop}/{ln.tid}")).text()
    assert f"/reversals/{ln.id}/approve" in page
    first = await desk.post(f"/reversals/{ln.id}/approve")
    second = await desk.post(f"/reversals/{ln.id}/approve")
    assert "done:reversed" in first.headers["Location"]
    assert "unchanged:not_waiting" in second.headers["Location"]
    assert (await _state(desk, ln)).state is S.REVERSED
    assert list((await _reversals(desk)).values()) == [1]
    audit = await desk.deps.store.console.audit_entries(tid=ln.tid)
    assert sorted((a.actor, a.action, a.outcome) for a in audit) == [
        ("admin1", "reversal_approve", "done"),
        ("admin1", "reversal_approve", "unchanged"),
        ("cs1", "reversal_approve", "refused"),
        ("cs1", "reversal_request", "done"),
    ]


async def test_an_admin_rejects_with_a_reason_that_cs_then_reads(strict: Desk) -> None:
    desk = strict
    ln = await _refunded(desk, 22)
    await desk.login("cs1")
    await desk.post(f"/reversals/{ln.id}/request")
    await desk.login("admin1")
    done = await desk.post(f"/reversals/{ln.id}/reject", {"note": "买家已撤销退款申请"})
    assert "done:reversal_rejected" in done.headers["Location"]
    await desk.login("cs1")
    page = await (await desk.client.get(f"/orders/{ln.shop}/{ln.tid}")).text()
    assert "管理员驳回了冲正申请" in page and "买家已撤销退款申请" in page
    assert (await _state(desk, ln)).state is S.REVERSAL_PENDING and await _reversals(desk) == {}


async def test_a_reversal_the_billing_core_refuses_is_shown_and_settled_by_hand(desk: Desk) -> None:
    ln = await _refunded(desk, 23)
    assert ln.card_no
    state = desk.rig.sb.billing.sandbox.state
    state.spend(ln.card_no, state.accounts[ln.card_no].balance_fen)
    await desk.login("cs1")
    refused = await desk.post(f"/reversals/{ln.id}/request")
    assert "refused:reversal_refused" in refused.headers["Location"]
    page = await (await desk.client.get(refused.headers["Location"])).text()
    assert "未能冲正" in page and "计费系统拒绝冲正" in page and "no longer covers" in page
    settled = await desk.post(f"/reversals/{ln.id}/settle", {"note": "营业厅已退现金"})
    assert "done:resolved" in settled.headers["Location"]
    assert (await _state(desk, ln)).state is S.RESOLVED
