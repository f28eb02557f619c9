"""Reversals after delivery against the real billing sandbox over HTTP, one job pass at a time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bridge.core.reversals import PartState, parts_to_reverse
from bridge.core.states import LineState
from bridge.services import reversals
from bridge.services.memos import write_memos_due
from bridge.services.reversal_job import reverse_due
from tests.rig import Rig, line, open_rig

S = LineState


@pytest.fixture
async def strict(tmp_path: Path, database: str) -> AsyncIterator[Rig]:
    """A bridge whose reversals above 50 yuan need an admin (the 100-yuan test line does)."""
    async with open_rig(tmp_path, database=database, reversal={"approval_threshold_fen": 5000}) as r:
        yield r


async def _refunded(rig: Rig, nth: int = 0) -> int:
    """A 100-yuan top-up delivered, then refunded in the shop: the line waits in REVERSAL_PENDING."""
    card = (await rig.cards())[nth]
    tid = await rig.order(line(), message=card)
    ln = await rig.refunded_after_delivery(tid)
    return ln.id


async def _reversals(rig: Rig) -> dict[str, int]:
    """How many times the billing sandbox undid each operation (by request_id)."""
    stats = await rig.get(f"{rig.sb.billing_url}/sandbox/stats")
    return dict(stats["reversals"]["by_request_id"])


async def _state(rig: Rig, line_id: int) -> LineState:
    found = await rig.deps.store.console.line_by_id(line_id)
    assert found is not None
    return found.state


async def test_a_reversal_under_the_threshold_runs_at_once_and_the_memo_turns_green(rig: Rig) -> None:
    """CS requests; the bridge reverses the recharge once; the seller memo says 已退款冲正, flag green."""
    line_id = await _refunded(rig)
    outcome = await reversals.request(rig.deps, "cs1", line_id, "buyer refunded")
    assert (outcome.status, outcome.code) == ("done", "reversed")
    assert await _state(rig, line_id) is S.REVERSED
    [op] = await rig.ledger(outcome.line.tid if outcome.line else None)
    assert op["status"] == "reversed" and op["reversals"] == 1
    await write_memos_due(rig.deps)
    trade = await rig.market_trade(outcome.line.tid if outcome.line else 0)
    assert "已退款冲正" in trade["memo"] and trade["flag"] == 3  # green
    actions = [a.action for a in await rig.deps.store.console.audit_entries(actor="cs1")]
    assert actions == ["reversal_request"]


async def test_a_second_click_reverses_nothing_more(rig: Rig) -> None:
    """Request twice: the second finds the line no longer waiting; one reversal in the ledger."""
    line_id = await _refunded(rig, 1)
    first = await reversals.request(rig.deps, "cs1", line_id)
    second = await reversals.request(rig.deps, "cs1", line_id)
    assert (first.status, second.status, second.code) == ("done", "unchanged", "not_waiting")
    assert list((await _reversals(rig)).values()) == [1]


async def test_above_the_threshold_an_admin_approves_first(strict: Rig) -> None:
    """The request waits (reason REVERSAL_APPROVAL); CS cannot approve; the admin's approval reverses."""
    rig = strict
    line_id = await _refunded(rig, 2)
    outcome = await reversals.request(rig.deps, "cs1", line_id, "buyer refunded")
    assert (outcome.status, outcome.code) == ("done", "reversal_awaits_approval")
    found = await rig.deps.store.console.line_by_id(line_id)
    assert found is not None and (found.state, found.reason) == (S.REVERSAL_REQUESTED, "REVERSAL_APPROVAL")
    assert await _reversals(rig) == {}
    refused = await reversals.approve(rig.deps, "cs1", line_id, admin=False)
    assert (refused.status, refused.code) == ("refused", "admin_only")
    approved = await reversals.approve(rig.deps, "boss", line_id, admin=True, note="checked")
    assert (approved.status, approved.code) == ("done", "reversed")
    assert await _state(rig, line_id) is S.REVERSED
    assert list((await _reversals(rig)).values()) == [1]
    again = await reversals.approve(rig.deps, "boss", line_id, admin=True)
    assert again.status == "unchanged"


async def test_a_rejected_request_goes_back_to_cs_with_the_reason(strict: Rig) -> None:
    rig = strict
    line_id = await _refunded(rig, 3)
    await reversals.request(rig.deps, "cs1", line_id)
    no_reason = await reversals.reject(rig.deps, "boss", line_id, admin=True, reason="  ")
    assert (no_reason.status, no_reason.code) == ("refused", "reason_needed")
    rejected = await reversals.reject(rig.deps, "boss", line_id, admin=True, reason="买家已撤销退款")
    assert (rejected.status, rejected.code) == ("done", "reversal_rejected")
    found = await rig.deps.store.console.line_by_id(line_id)
    assert found is not None
    assert (found.state, found.reason, found.reason_detail) == (
        S.REVERSAL_PENDING,
        "REVERSAL_REJECTED",
        "买家已撤销退款",
    )
    assert await _reversals(rig) == {}
    audit = [(a.action, a.outcome) for a in await rig.deps.store.console.audit_entries(actor="boss")]
    assert sorted(audit) == [("reversal_reject", "done"), ("reversal_reject", "refused")]


async def test_a_lost_answer_is_resolved_by_looking_the_operation_up(rig: Rig) -> None:
    """The reversal lands but its answer is lost: the lookup shows it reversed; nothing is sent again."""
    line_id = await _refunded(rig, 4)
    rig.sb.billing.sandbox.set_knobs(lose_reversal_answer_rate=1.0)
    await reversals.request(rig.deps, "cs1", line_id)
    assert await _state(rig, line_id) is S.REVERSED
    assert list((await _reversals(rig)).values()) == [1]
    assert rig.sb.billing.sandbox.traffic.lost_reversal_answers == 1
    [part] = await rig.deps.store.reversals.reversal_parts(line_id)
    assert part.state is PartState.REVERSED


async def test_a_core_that_does_not_deduplicate_is_never_asked_twice(rig: Rig) -> None:
    """Answers lost on an older core: every lost answer is looked up, never resent; one reversal each."""
    line_id = await _refunded(rig, 5)
    rig.sb.billing.sandbox.set_knobs(dedupe=False, lose_reversal_answer_rate=1.0)
    await reversals.request(rig.deps, "cs1", line_id)
    for _ in range(3):
        rig.later(120)
        await reverse_due(rig.deps)
    assert await _state(rig, line_id) is S.REVERSED
    assert list((await _reversals(rig)).values()) == [1]


async def test_a_crash_between_the_request_and_the_call_resumes(rig: Rig) -> None:
    """The request is committed with its parts; the process dies before the pass; the job reverses it."""
    line_id = await _refunded(rig, 6)
    found = await rig.deps.store.console.line_by_id(line_id)
    assert found is not None
    store = rig.deps.store
    assert await store.reversals.request_reversal(
        found, parts_to_reverse(found), approval=False, note="", now=rig.deps.clock(), actor="cs1"
    )
    assert await _state(rig, line_id) is S.REVERSING
    assert await _reversals(rig) == {}
    await reverse_due(rig.deps)
    assert await _state(rig, line_id) is S.REVERSED
    assert list((await _reversals(rig)).values()) == [1]


async def test_a_crash_with_the_call_in_flight_is_looked_up_before_any_resend(rig: Rig) -> None:
    """SENT committed and the reversal landed, then the worker died: after its lease the next worker
    looks the part up and records it; an older core is not asked again."""
    line_id = await _refunded(rig, 7)
    rig.sb.billing.sandbox.set_knobs(dedupe=False)
    store, deps = rig.deps.store, rig.deps
    found = await store.console.line_by_id(line_id)
    assert found is not None
    await store.reversals.request_reversal(
        found, parts_to_reverse(found), approval=False, note="", now=deps.clock(), actor="cs"
    )
    [claimed] = await store.lines.claim_lines("dead", deps.clock(), 30.0, 1, states=(S.REVERSING,))
    [part] = await store.reversals.reversal_parts(line_id)
    assert await store.reversals.reversal_sent(claimed, part, deps.clock(), "dead")
    await deps.billing.reverse(part.request_id, "refund")  # landed; the worker died before recording it
    assert await reverse_due(deps) == 0  # its lease still holds
    rig.later(31)
    await reverse_due(deps)
    assert await _state(rig, line_id) is S.REVERSED
    assert list((await _reversals(rig)).values()) == [1]


async def test_a_send_that_never_landed_is_resent_only_after_the_settle_time(rig: Rig) -> None:
    """SENT committed, then the worker died before the call: the lookup says "applied"; the bridge
    waits out the settle time (the call could still land) and only then sends it, once."""
    line_id = await _refunded(rig, 8)
    rig.sb.billing.sandbox.set_knobs(dedupe=False)
    store, deps = rig.deps.store, rig.deps
    found = await store.console.line_by_id(line_id)
    assert found is not None
    await store.reversals.request_reversal(
        found, parts_to_reverse(found), approval=False, note="", now=deps.clock(), actor="cs"
    )
    [claimed] = await store.lines.claim_lines("dead", deps.clock(), 3.0, 1, states=(S.REVERSING,))
    [part] = await store.reversals.reversal_parts(line_id)
    assert await store.reversals.reversal_sent(claimed, part, deps.clock(), "dead")
    rig.later(4)  # its lease ran out; the send (6 s to settle) could still land
    await reverse_due(deps)
    assert await _state(rig, line_id) is S.REVERSING and await _reversals(rig) == {}
    rig.later(deps.settings.fulfilment.settle_s)
    await reverse_due(deps)
    assert await _state(rig, line_id) is S.REVERSED
    assert list((await _reversals(rig)).values()) == [1]


async def test_cannot_reverse_is_kept_for_cs_who_settle_it_by_hand(rig: Rig) -> None:
    """The buyer spent the credit: REVERSAL_NOT_ALLOWED sends the line back with the billing core's
    reason (memo yellow); CS settles it by hand with a note; every step audited."""
    line_id = await _refunded(rig, 9)
    found = await rig.deps.store.console.line_by_id(line_id)
    assert found is not None and found.card_no
    sandbox = rig.sb.billing.sandbox
    sandbox.state.spend(found.card_no, sandbox.state.accounts[found.card_no].balance_fen)
    outcome = await reversals.request(rig.deps, "cs1", line_id)
    assert (outcome.status, outcome.code) == ("refused", "reversal_refused")
    back = await rig.deps.store.console.line_by_id(line_id)
    assert back is not None and (back.state, back.reason) == (S.REVERSAL_PENDING, "REVERSAL_NOT_ALLOWED")
    assert "no longer covers" in (back.reason_detail or "")
    await write_memos_due(rig.deps)
    trade = await rig.market_trade(back.tid)
    assert "计费系统拒绝冲正" in trade["memo"] and trade["flag"] == 2  # yellow
    no_note = await reversals.settle_by_hand(rig.deps, "cs1", line_id, "")
    assert no_note.status == "refused"
    settled = await reversals.settle_by_hand(rig.deps, "cs1", line_id, "营业厅已退现金")
    assert (settled.status, settled.code) == ("done", "resolved")
    assert await _state(rig, line_id) is S.RESOLVED
    assert await _reversals(rig) == {}
    actions = [a.action for a in await rig.deps.store.console.audit_entries(actor="cs1")]
    assert sorted(actions) == ["reversal_request", "reversal_settle_by_hand", "reversal_settle_by_hand"]
