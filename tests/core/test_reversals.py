"""Reversals after delivery, pure: which parts, who approves, and what a lookup allows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bridge.core.inflight import gave_up_marker, sent_marker
from bridge.core.memos import note_for
from bridge.core.models import OperationKind, OperationResult
from bridge.core.records import LineRecord, OperationRecord
from bridge.core.reversals import (
    Lookup,
    PartState,
    ReversalPart,
    after_lookup,
    needs_approval,
    parts_to_reverse,
)
from bridge.core.states import NEEDS_A_PERSON, LineState, delivery_state
from bridge.core.trades import Severity

S = LineState
T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def _op(part: int, state: str) -> OperationRecord:
    return OperationRecord(
        id=part, line_id=1, part=part, request_id=f"main:1:2:{part}", kind="recharge", payload={}, state=state
    )


def _line(
    paid: int = 10000, *ops: OperationRecord, state: LineState = S.REVERSAL_PENDING, **kw: object
) -> LineRecord:
    return LineRecord(
        id=1, trade_id=1, shop="main", tid="1", oid="2", outer_sku_id="X", title="t", quantity=1,
        price_fen=paid, payment_fen=paid, refund_status="refunded", state=state, attempts=0,
        operations=ops, updated_at=T0, **kw,  # type: ignore[arg-type]
    )  # fmt: skip


def _result(status: str) -> OperationResult:
    return OperationResult("main:1:2:0", "OP1", OperationKind.RECHARGE, status, T0)


def _sent(at: datetime, gave_up: datetime | None = None) -> ReversalPart:
    sent = sent_marker(None, at)
    return ReversalPart(
        1, 1, 0, "main:1:2:0", PartState.SENT, gave_up_marker(sent, gave_up) if gave_up else sent
    )


def test_only_a_line_that_paid_more_than_the_threshold_needs_an_admin() -> None:
    assert not needs_approval(_line(10000), 10000)
    assert needs_approval(_line(10001), 10000)
    assert needs_approval(_line(1), 0)


def test_every_part_whose_call_went_out_is_reversed_and_no_other() -> None:
    line = _line(10000, _op(0, "APPLIED"), _op(1, "UNKNOWN"), _op(2, "PENDING"))
    assert [op.part for op in parts_to_reverse(line)] == [0, 1]


def test_a_lookup_showing_the_reversal_is_recorded_never_resent() -> None:
    step = after_lookup(_result("reversed"), _sent(T0), _op(0, "APPLIED"), settle_s=60, asked_at=T0)
    assert step is Lookup.REVERSED


@pytest.mark.parametrize(
    ("asked_after_s", "gave_up_after_s", "step"),
    [
        (10, None, Lookup.WAIT),  # the send may still land on a core that does not deduplicate
        (61, None, Lookup.RESEND),
        (61, 30, Lookup.WAIT),  # the settle time counts from when the bridge gave up waiting
        (91, 30, Lookup.RESEND),
    ],
)
def test_still_applied_is_resent_only_once_the_last_send_has_settled(
    asked_after_s: int, gave_up_after_s: int | None, step: Lookup
) -> None:
    gave_up = T0 + timedelta(seconds=gave_up_after_s) if gave_up_after_s is not None else None
    asked = T0 + timedelta(seconds=asked_after_s)
    assert (
        after_lookup(_result("applied"), _sent(T0, gave_up), _op(0, "APPLIED"), settle_s=60, asked_at=asked)
        is step
    )


def test_not_found_means_never_applied_only_for_a_maybe_applied_part_that_settled() -> None:
    maybe = OperationRecord(1, 1, 0, "main:1:2:0", "recharge", {}, "UNKNOWN", result=sent_marker(None, T0))
    part = _sent(T0)
    assert after_lookup(None, part, maybe, settle_s=60, asked_at=T0 + timedelta(seconds=5)) is Lookup.WAIT
    assert (
        after_lookup(None, part, maybe, settle_s=60, asked_at=T0 + timedelta(seconds=61))
        is Lookup.NOT_APPLIED
    )
    # an applied part the billing core cannot find is never taken as "nothing to undo"
    assert (
        after_lookup(None, part, _op(0, "APPLIED"), settle_s=60, asked_at=T0 + timedelta(days=1))
        is Lookup.WAIT
    )


def test_a_requested_reversal_waits_in_the_queue_and_has_nothing_to_deliver() -> None:
    assert S.REVERSAL_REQUESTED in NEEDS_A_PERSON
    assert delivery_state([S.REVERSING]).value == "NOTHING"


@pytest.mark.parametrize(
    ("line", "text", "flag"),
    [
        (_line(state=S.REVERSAL_REQUESTED), "已申请冲正，等待管理员批准", Severity.WATCH),
        (_line(state=S.REVERSING), "冲正处理中", Severity.WATCH),
        (_line(state=S.REVERSED), "已退款冲正", Severity.DONE),
        (_line(reason="REVERSAL_NOT_ALLOWED"), "计费系统拒绝冲正", Severity.WATCH),
        (_line(reason="REVERSAL_REJECTED"), "管理员驳回了冲正申请", Severity.WATCH),
    ],
)
def test_the_memo_section_follows_the_reversal(line: LineRecord, text: str, flag: Severity) -> None:
    note = note_for(line)
    assert text in note.text and note.flag is flag
