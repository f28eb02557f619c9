"""The console's actions through its forms: what each does, its audit entry, and clicking twice."""

from __future__ import annotations

import pytest

from bridge.core.records import LineRecord
from bridge.core.states import LineState
from bridge.services.fulfil import to_operation
from bridge.services.intake import poll_all
from bridge.services.planning import plan_due
from tests.web.conftest import Desk
from tests.web.rig import UNKNOWN_CARD

S = LineState


async def _exception(desk: Desk, message: str | None = None) -> LineRecord:
    """A paid 100-yuan line whose card the billing core does not know: EXCEPTION."""
    tid = await desk.rig.order(message=message or f"卡号{UNKNOWN_CARD}")
    await desk.rig.cycle()
    [ln] = await desk.rig.lines(tid)
    assert ln.state is S.EXCEPTION
    return ln


async def _exhausted(desk: Desk, n: int = 1) -> list[LineRecord]:
    """Lines that failed while the billing core was down (RETRIES_EXHAUSTED), now healed."""
    cards = await desk.rig.cards()
    tids = [await desk.rig.order(message=cards[10 + i]) for i in range(n)]
    await desk.exhausted()
    found = [ln for tid in tids for ln in await desk.rig.lines(tid)]
    assert {(ln.state, ln.reason) for ln in found} == {(S.EXCEPTION, "RETRIES_EXHAUSTED")}
    return found


async def _state(desk: Desk, ln: LineRecord) -> LineRecord:
    found = await desk.deps.store.console.line_by_id(ln.id)
    assert found is not None
    return found


async def test_correct_card_provisions_to_the_checked_card_with_the_lines_own_request_id(desk: Desk) -> None:
    """A corrected card is checked, saved, provisioned once under shop:tid:oid:0, and delivered."""
    ln = await _exception(desk)
    card = (await desk.rig.cards())[0]
    await desk.login("cs1")
    resp = await desk.post(f"/lines/{ln.id}/card", {"card": f"{card[:4]} {card[4:8]} {card[8:]}"})
    assert resp.status == 303 and "done:queued" in resp.headers["Location"]
    await desk.rig.cycle()
    assert (await _state(desk, ln)).state is S.DELIVERED
    [op] = await desk.rig.ledger(ln.tid)
    assert (op["card_no"], op["request_id"]) == (card, f"{ln.shop}:{ln.tid}:{ln.oid}:0")


async def test_a_card_fixed_from_the_console_ends_delivered_with_its_red_memo_gone(desk: Desk) -> None:
    """The seller memo follows the line: red with the reason before, green with a short note after."""
    ln = await _exception(desk)
    before = await desk.rig.market_trade(ln.tid)
    assert before["flag"] == 1 and "智能卡号不存在" in before["memo"]
    await desk.login("cs1")
    await desk.post(f"/lines/{ln.id}/card", {"card": (await desk.rig.cards())[3]})
    await desk.rig.cycle()
    after = await desk.rig.market_trade(ln.tid)
    assert (await _state(desk, ln)).state is S.DELIVERED
    assert after["flag"] == 3 and "智能卡号不存在" not in after["memo"] and "已开通" in after["memo"]


async def test_correcting_the_card_twice_provisions_once(desk: Desk) -> None:
    """The second click finds the line already moving: one operation in the billing core."""
    ln = await _exception(desk)
    card = (await desk.rig.cards())[1]
    await desk.login("cs1")
    await desk.post(f"/lines/{ln.id}/card", {"card": card})
    second = await desk.post(f"/lines/{ln.id}/card", {"card": card})
    assert "unchanged:not_waiting" in second.headers["Location"]
    for _ in range(2):
        await desk.rig.cycle()
    assert len(await desk.rig.ledger(ln.tid)) == 1


async def test_an_unknown_card_is_refused_and_nothing_is_saved(desk: Desk) -> None:
    """A card the billing core does not know never reaches the line."""
    ln = await _exception(desk)
    await desk.login("cs1")
    resp = await desk.post(f"/lines/{ln.id}/card", {"card": "8371000000000001"})
    assert resp.status == 422 and "计费系统查无此卡号" in await resp.text()  # at the field (test_order_page)
    after = await _state(desk, ln)
    assert (after.state, after.card_no) == (S.EXCEPTION, ln.card_no)


async def test_retrying_twice_provisions_once(desk: Desk) -> None:
    """Retry after an outage: two clicks, one operation, delivered."""
    [ln] = await _exhausted(desk)
    await desk.login("cs1")
    await desk.post(f"/lines/{ln.id}/retry")
    await desk.post(f"/lines/{ln.id}/retry")
    for _ in range(2):
        await desk.rig.cycle()
    assert (await _state(desk, ln)).state is S.DELIVERED
    assert len(await desk.rig.ledger(ln.tid)) == 1


async def test_resolve_needs_a_resolution_and_a_note(desk: Desk) -> None:
    """Without a note nothing changes (and the refusal is audited)."""
    ln = await _exception(desk)
    await desk.login("cs1")
    resp = await desk.post(f"/lines/{ln.id}/resolve", {"resolution": "HANDLED_AT_HALL", "note": " "})
    assert "refused:resolution_needed" in resp.headers["Location"]
    assert (await _state(desk, ln)).state is S.EXCEPTION


async def test_resolve_settles_the_line_without_provisioning(desk: Desk) -> None:
    """RESOLVED, nothing sent to the billing core."""
    ln = await _exception(desk)
    await desk.login("cs1")
    await desk.post(f"/lines/{ln.id}/resolve", {"resolution": "HANDLED_AT_HALL", "note": "营业厅已办理"})
    await desk.rig.cycle()
    assert (await _state(desk, ln)).state is S.RESOLVED
    assert await desk.rig.ledger(ln.tid) == []


async def test_cancel_marks_the_line_for_refund_with_a_seller_memo(desk: Desk) -> None:
    """CANCELLED with the refund reason, and the marketplace memo asks for the refund."""
    ln = await _exception(desk)
    await desk.login("cs1")
    await desk.post(f"/lines/{ln.id}/cancel", {"note": "买家要求退款"})
    await desk.rig.cycle()
    after = await _state(desk, ln)
    assert (after.state, after.reason) == (S.CANCELLED, "REFUND_BY_CS")
    async with desk.rig.http.get(f"{desk.rig.sb.market_url}/sandbox/trades/{ln.tid}") as resp:
        assert "请在网店后台为买家退款" in (await resp.json())["memo"]


async def test_refresh_asks_the_billing_core_to_resend_the_authorisation(desk: Desk) -> None:
    """A delivered channel's card gets its set-top box authorisation refreshed."""
    card = (await desk.rig.cards())[2]
    tid = await desk.rig.order(message=card)
    await desk.rig.cycle()
    [ln] = await desk.rig.lines(tid)
    await desk.login("cs1")
    resp = await desk.post(f"/lines/{ln.id}/refresh")
    assert "done:refreshed" in resp.headers["Location"]
    assert desk.rig.sb.billing.sandbox.state.refreshes[card] == 1


@pytest.mark.parametrize(
    ("action", "form", "after"),
    [
        ("retry", {}, "READY"),
        ("card", {"card": "CARD"}, "READY"),
        ("resolve", {"resolution": "OTHER", "note": "n"}, "RESOLVED"),
        ("cancel", {"note": "n"}, "CANCELLED"),
        ("refresh", {}, "EXCEPTION"),
    ],
)
async def test_every_action_leaves_one_audit_entry(
    desk: Desk, action: str, form: dict[str, str], after: str
) -> None:
    """Who, which line, before → after and the outcome are recorded for each action."""
    [ln] = await _exhausted(desk)
    await desk.login("cs2")
    card = ln.card_no or ""
    await desk.post(f"/lines/{ln.id}/{action}", {k: card if v == "CARD" else v for k, v in form.items()})
    [entry] = await desk.deps.store.console.audit_entries(tid=ln.tid)
    assert (entry.actor, entry.line_id, entry.before, entry.after) == ("cs2", ln.id, "EXCEPTION", after)
    assert entry.outcome == "done"


async def _maybe_credited(desk: Desk) -> LineRecord:
    """A line whose billing call went out (and landed) with no answer recorded, then sent to a person."""
    rig, store = desk.rig, desk.deps.store
    tid = await rig.order(message=(await rig.cards())[3])
    await poll_all(rig.deps)
    await plan_due(rig.deps)
    [ln] = await store.lines.claim_lines("w", rig.deps.clock(), 10.0, 1)
    assert await store.operations.begin_submit(ln, ln.operations[0], "w", rig.deps.clock())
    await rig.deps.billing.apply(to_operation(ln.operations[0]))
    await store.operations.record_exception(
        ln, reason="BILLING_REJECTED", message="x", actor="w", now=rig.deps.clock(), memo=None
    )
    [ln] = await rig.lines(tid)
    return ln


async def test_a_line_that_may_be_credited_offers_the_reversal_not_the_cancel(desk: Desk) -> None:
    """Cancel is refused with the reason in Chinese; the reversal form is offered and works."""
    ln = await _maybe_credited(desk)
    await desk.login("cs1")
    page = await (await desk.client.get(f"/orders/{ln.shop}/{ln.tid}")).text()
    assert f"/lines/{ln.id}/reversal" in page and f"/lines/{ln.id}/cancel" not in page
    refused = await desk.post(f"/lines/{ln.id}/cancel", {"note": "买家要求退款"})
    assert "refused:maybe_applied" in refused.headers["Location"]
    shown = await (await desk.client.get(refused.headers["Location"])).text()
    assert "可能已经到账" in shown
    done = await desk.post(f"/lines/{ln.id}/reversal", {"note": "买家要求退款"})
    assert "done:reversal_pending" in done.headers["Location"]
    assert (await _state(desk, ln)).state is S.REVERSAL_PENDING
    assert len(await desk.rig.ledger(ln.tid)) == 1
