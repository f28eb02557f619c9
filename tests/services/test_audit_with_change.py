"""Every audited action commits its audit row with the change, or neither: the database refuses the
row (a real trigger) and the line, the batch or the account is left as it was; normally both land."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import cast

import pytest

from bridge.core.records import LineRecord, QueueFilter
from bridge.core.states import LineState
from bridge.services import batches, cs_actions, reversals
from bridge.services.accounts import account_note, add_user
from bridge.store import SqlStore
from tests.refusals import REFUSED, refuse_audit
from tests.rig import Rig, line, open_rig
from tests.web.rig import UNKNOWN_CARD

S = LineState


def _engine(rig: Rig) -> SqlStore:
    return cast(SqlStore, rig.deps.store)  # the rig's store is the real one


async def _exception(rig: Rig) -> LineRecord:
    """A paid line whose card the billing core does not know: EXCEPTION."""
    tid = await rig.order(message=f"卡号{UNKNOWN_CARD}")
    await rig.cycle()
    [ln] = await rig.lines(tid)
    assert ln.state is S.EXCEPTION
    return ln


async def _now(rig: Rig, ln: LineRecord) -> LineRecord:
    found = await rig.deps.store.console.line_by_id(ln.id)
    assert found is not None
    return found


async def _audited(rig: Rig, action: str) -> list[tuple[str, str | None, str | None]]:
    entries = await rig.deps.store.console.audit_entries(action=action)
    return [(e.outcome, e.before, e.after) for e in entries]


async def test_a_resolve_whose_audit_row_is_refused_leaves_the_line_waiting(rig: Rig) -> None:
    """The database refuses the resolve's audit row: the line is still in EXCEPTION, no entry."""
    ln = await _exception(rig)
    await refuse_audit(_engine(rig).engine, "resolve")
    with pytest.raises(REFUSED):
        await cs_actions.resolve(rig.deps, "cs1", ln.id, "HANDLED_AT_HALL", "营业厅已办理")
    assert (await _now(rig, ln)).state is S.EXCEPTION
    assert await _audited(rig, "resolve") == []


async def test_a_resolve_lands_with_its_audit_row(rig: Rig) -> None:
    """Normally both: RESOLVED, and one entry EXCEPTION → RESOLVED."""
    ln = await _exception(rig)
    assert (await cs_actions.resolve(rig.deps, "cs1", ln.id, "HANDLED_AT_HALL", "营业厅已办理")).done
    assert (await _now(rig, ln)).state is S.RESOLVED
    assert await _audited(rig, "resolve") == [("done", "EXCEPTION", "RESOLVED")]


async def test_a_retry_whose_audit_row_is_refused_is_not_planned_again(rig: Rig) -> None:
    """The retry's audit row refused: still EXCEPTION with its reason and its spent retry budget."""
    ln = await _exception(rig)
    await refuse_audit(_engine(rig).engine, "retry")
    with pytest.raises(REFUSED):
        await cs_actions.retry(rig.deps, "cs1", ln.id)
    after = await _now(rig, ln)
    assert (after.state, after.reason, after.attempts) == (S.EXCEPTION, ln.reason, ln.attempts)
    assert await _audited(rig, "retry") == []


async def test_a_retry_lands_with_its_audit_row_and_a_fresh_budget(rig: Rig) -> None:
    """Normally both: READY with no attempts spent, and one entry EXCEPTION → READY."""
    ln = await _exception(rig)
    assert (await cs_actions.retry(rig.deps, "cs1", ln.id)).done
    after = await _now(rig, ln)
    assert (after.state, after.attempts) == (S.READY, 0)
    assert await _audited(rig, "retry") == [("done", "EXCEPTION", "READY")]


async def test_a_card_correction_whose_audit_row_is_refused_keeps_the_old_card(rig: Rig) -> None:
    """The corrected card is confirmed by the billing core, but its audit row is refused: the line
    keeps its old card and stays in EXCEPTION."""
    ln = await _exception(rig)
    await refuse_audit(_engine(rig).engine, "correct_card")
    with pytest.raises(REFUSED):
        await cs_actions.correct_card(rig.deps, "cs1", ln.id, (await rig.cards())[0])
    after = await _now(rig, ln)
    assert (after.state, after.card_no) == (S.EXCEPTION, ln.card_no)


async def test_a_cancel_whose_audit_row_is_refused_leaves_the_line_and_asks_no_refund(rig: Rig) -> None:
    """The cancel's audit row refused: still EXCEPTION, and no refund memo queued for the shop."""
    ln = await _exception(rig)
    await refuse_audit(_engine(rig).engine, "cancel_refund")
    with pytest.raises(REFUSED):
        await cs_actions.cancel_refund(rig.deps, "cs1", ln.id, "买家要求退款")
    assert (await _now(rig, ln)).state is S.EXCEPTION
    [trade] = await rig.deps.store.views.find_trades(ln.tid)
    _, events = await rig.deps.store.views.trade_story(trade)
    assert "cancelled_for_refund" not in {e.kind for e in events}


async def test_a_bulk_action_whose_header_is_refused_does_not_start(rig: Rig) -> None:
    """The batch's header audit row refused: the batch is not marked acted on and no line moved,
    so the same confirmation can act later."""
    ln = await _exception(rig)
    offered = await batches.offer(rig.deps, "cs1", "retry", QueueFilter(), {})
    await refuse_audit(_engine(rig).engine, "bulk_retry")
    with pytest.raises(REFUSED):
        await batches.act(rig.deps, "cs1", offered.id)
    stored = await rig.deps.store.queue.batch(offered.id)
    assert stored is not None and stored.started_at is None
    assert (await _now(rig, ln)).state is S.EXCEPTION


async def test_a_bulk_action_starts_with_its_header_and_each_line_with_its_entry(rig: Rig) -> None:
    """Normally the header and each line's entry land under the batch id, each line moved."""
    ln = await _exception(rig)
    offered = await batches.offer(rig.deps, "cs1", "retry", QueueFilter(), {})
    acted = await batches.act(rig.deps, "cs1", offered.id)
    assert acted.fresh and (await _now(rig, ln)).state is S.READY
    [header] = await rig.deps.store.console.audit_entries(action="bulk_retry")
    [member] = (await rig.deps.store.queue.audit_batches([offered.id]))[offered.id]
    assert (header.batch, member.batch, member.line_id, member.after) == (
        offered.id,
        offered.id,
        ln.id,
        "READY",
    )


async def _refunded(rig: Rig) -> LineRecord:
    """A 100-yuan top-up delivered, then refunded in the shop: REVERSAL_PENDING."""
    tid = await rig.order(line(), message=(await rig.cards())[1])
    ln = await rig.refunded_after_delivery(tid)
    return ln


async def test_a_reversal_request_whose_audit_row_is_refused_reverses_nothing(rig: Rig) -> None:
    """The request's audit row refused: still REVERSAL_PENDING, no part recorded, nothing undone."""
    ln = await _refunded(rig)
    await refuse_audit(_engine(rig).engine, "reversal_request")
    with pytest.raises(REFUSED):
        await reversals.request(rig.deps, "cs1", ln.id, "buyer refunded")
    assert (await _now(rig, ln)).state is S.REVERSAL_PENDING
    assert await rig.deps.store.reversals.reversal_parts(ln.id) == []
    [op] = await rig.ledger(ln.tid)
    assert op["status"] == "applied"


async def test_a_reversal_performed_at_once_is_audited_as_the_person_was_told(rig: Rig) -> None:
    """The request's entry commits with the decision and then says what the pass came to: reversed."""
    ln = await _refunded(rig)
    assert (await reversals.request(rig.deps, "cs1", ln.id)).code == "reversed"
    [entry] = await rig.deps.store.console.audit_entries(action="reversal_request")
    code = (entry.detail or {}).get("code")
    assert (entry.outcome, entry.before, entry.after, code) == (
        "done",
        "REVERSAL_PENDING",
        "REVERSED",
        "reversed",
    )


async def test_a_settlement_by_hand_whose_audit_row_is_refused_leaves_the_line_pending(rig: Rig) -> None:
    """The settlement's audit row refused: still REVERSAL_PENDING."""
    ln = await _refunded(rig)
    await refuse_audit(_engine(rig).engine, "reversal_settle_by_hand")
    with pytest.raises(REFUSED):
        await reversals.settle_by_hand(rig.deps, "cs1", ln.id, "营业厅退了现金")
    assert (await _now(rig, ln)).state is S.REVERSAL_PENDING


@pytest.fixture
async def strict(tmp_path: Path, database: str) -> AsyncIterator[Rig]:
    """A bridge whose reversals above 50 yuan need an admin (the 100-yuan test line does)."""
    async with open_rig(tmp_path, database=database, reversal={"approval_threshold_fen": 5000}) as r:
        yield r


async def test_an_approval_whose_audit_row_is_refused_leaves_the_request_waiting(strict: Rig) -> None:
    """The admin's approval row refused: still REVERSAL_REQUESTED, nothing undone."""
    ln = await _refunded(strict)
    assert (await reversals.request(strict.deps, "cs1", ln.id)).code == "reversal_awaits_approval"
    await refuse_audit(_engine(strict).engine, "reversal_approve")
    with pytest.raises(REFUSED):
        await reversals.approve(strict.deps, "boss", ln.id, admin=True)
    assert (await _now(strict, ln)).state is S.REVERSAL_REQUESTED
    assert await strict.deps.store.reversals.reversal_parts(ln.id) == []


async def test_a_rejection_whose_audit_row_is_refused_leaves_the_request_waiting(strict: Rig) -> None:
    """The admin's rejection row refused: still REVERSAL_REQUESTED."""
    ln = await _refunded(strict)
    await reversals.request(strict.deps, "cs1", ln.id)
    await refuse_audit(_engine(strict).engine, "reversal_reject")
    with pytest.raises(REFUSED):
        await reversals.reject(strict.deps, "boss", ln.id, admin=True, reason="金额不符")
    assert (await _now(strict, ln)).state is S.REVERSAL_REQUESTED


async def test_an_account_whose_audit_row_is_refused_is_not_created(rig: Rig) -> None:
    """``users add`` with its row refused: no account by that name."""
    now = rig.deps.clock()
    await refuse_audit(_engine(rig).engine, "user_add")
    with pytest.raises(REFUSED):
        await add_user(
            rig.deps.store.accounts,
            "newcs",
            "cs",
            "a long password",
            now,
            account_note(now, "root", "add", "newcs"),
        )
    assert await rig.deps.store.accounts.user_by_name("newcs") is None


async def test_an_account_change_whose_audit_row_is_refused_is_not_made(rig: Rig) -> None:
    """Disabling an account with its row refused: the account still signs in."""
    now = rig.deps.clock()
    await add_user(rig.deps.store.accounts, "cs9", "cs", "a long password", now)
    await refuse_audit(_engine(rig).engine, "user_disable")
    with pytest.raises(REFUSED):
        await rig.deps.store.accounts.update_user(
            "cs9", now, disabled=True, audit=account_note(now, "root", "disable", "cs9")
        )
    user = await rig.deps.store.accounts.user_by_name("cs9")
    assert user is not None and not user.disabled


async def test_an_account_lands_with_its_audit_row(rig: Rig) -> None:
    """Normally both: the account, and one ``user_add`` entry naming it."""
    now = rig.deps.clock()
    await add_user(
        rig.deps.store.accounts,
        "newcs",
        "cs",
        "a long password",
        now,
        account_note(now, "root", "add", "newcs"),
    )
    assert await rig.deps.store.accounts.user_by_name("newcs") is not None
    [entry] = await rig.deps.store.console.audit_entries(action="user_add")
    assert (entry.actor, entry.outcome, entry.detail) == ("root", "done", {"user": "newcs", "code": ""})
