"""Three-way reconciliation, one kind of disagreement at a time; agreeing sides give none."""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from datetime import date, timedelta

import pytest

from bridge.core import reconcile as rc
from bridge.core import request_ids
from bridge.core.models import CST, Operation, OperationResult, Recharge
from bridge.core.reasons import REASONS
from bridge.core.reconcile_shops import ShopListing, unlisted_rows
from bridge.core.records import LineRecord, OperationRecord
from bridge.core.request_ids import RequestId
from bridge.core.states import LineState
from bridge.core.trades import OrderState, RefundState
from tests.factories import CARD, T0, order_line, trade

DAY = T0.date()
NOW = T0 + timedelta(hours=6)
SETTLE = timedelta(minutes=10)
SHOPS = ("tv",)


def _line(oid: int, state: LineState, *ops: Operation, payment: int = 10000) -> LineRecord:
    parts = tuple(
        OperationRecord(
            id=oid * 10 + n,
            line_id=oid,
            part=n,
            request_id=op.request_id,
            kind=op.kind.value,
            payload=asdict(op) | {"kind": op.kind.value},
            state="APPLIED" if state in {LineState.APPLIED, LineState.DELIVERED} else "PENDING",
        )
        for n, op in enumerate(ops)
    )
    return LineRecord(
        id=oid, trade_id=1, shop="tv", tid="1001", oid=str(oid), outer_sku_id="TV-RC-0100", title="缴费卡",
        quantity=1, price_fen=10000, payment_fen=payment, refund_status="none", state=state,
        attempts=0, card_no=CARD, paid_at=T0, operations=parts,
    )  # fmt: skip


def _rid(oid: int, part: int = 0) -> str:
    return f"tv:1001:{oid}:{part}"


def _result(op: Operation, *, n: int = 0, status: str = "applied", at_h: float = 1) -> OperationResult:
    return OperationResult(
        op.request_id, f"OP{op.request_id}#{n}", op.kind, status, T0 + timedelta(hours=at_h), applied=op
    )


def _paid(oid: int, fen: int = 10000) -> rc.PaidLine:
    return rc.PaidLine("tv", "1001", str(oid), fen, T0)


def _run(
    paid: list[rc.PaidLine],
    lines: list[LineRecord],
    found: dict[str, OperationResult | None],
    listing: list[OperationResult] | None = None,
    known: frozenset[str] = frozenset(),
) -> list[rc.Disagreement]:
    side = rc.BillingSide(found, listing)
    return rc.reconcile(DAY, SHOPS, paid, lines, side, known_request_ids=known, now=NOW, settle=SETTLE)


def _delivered_line(oid: int = 2001) -> tuple[LineRecord, Recharge, OperationResult]:
    op = Recharge(_rid(oid), CARD, 10000)
    return _line(oid, LineState.DELIVERED, op), op, _result(op)


def test_every_kind_has_chinese_and_english_text() -> None:
    for kind in rc.KINDS:
        zh, en = REASONS[kind]
        assert zh.startswith("对账") and en.startswith("reconciliation")


def test_agreeing_sides_give_no_disagreement() -> None:
    line, op, result = _delivered_line()
    assert _run([_paid(2001)], [line], {op.request_id: result}, [result]) == []
    assert rc.by_kind([]) == dict.fromkeys(rc.KINDS, 0)


def test_a_paid_line_the_bridge_never_stored() -> None:
    [row] = _run([_paid(2002, 5000)], [], {})
    assert (row.kind, row.tid, row.oid, row.paid_fen, row.line_id) == (
        rc.PAID_UNKNOWN,
        "1001",
        "2002",
        5000,
        None,
    )


def test_applied_but_not_delivered_only_after_the_settle_time() -> None:
    op = Recharge(_rid(2001), CARD, 10000)
    line = _line(2001, LineState.APPLIED, op)
    [row] = _run([_paid(2001)], [line], {op.request_id: _result(op)})
    assert (row.kind, row.line_id, row.applied_fen) == (rc.APPLIED_NOT_DELIVERED, 2001, 10000)
    just_now = _result(op, at_h=5.95)
    assert _run([_paid(2001)], [line], {op.request_id: just_now}) == []


def test_a_line_the_bridge_left_in_exception_that_the_core_applied() -> None:
    op = Recharge(_rid(2001), CARD, 10000)
    line = _line(2001, LineState.EXCEPTION, op)
    assert [r.kind for r in _run([_paid(2001)], [line], {op.request_id: _result(op)})] == [
        rc.APPLIED_NOT_DELIVERED
    ]


@pytest.mark.parametrize("state", [LineState.DELIVERED, LineState.APPLIED])
def test_delivered_but_not_applied(state: LineState) -> None:
    op = Recharge(_rid(2001), CARD, 10000)
    [row] = _run([_paid(2001)], [_line(2001, state, op)], {op.request_id: None}, [])
    assert (row.kind, row.request_id) == (rc.DELIVERED_NOT_APPLIED, op.request_id)
    assert "not in the billing core" in row.detail


def test_reversed_in_the_core_behind_the_bridges_back() -> None:
    line, op, result = _delivered_line()
    [row] = _run([_paid(2001)], [line], {op.request_id: replace(result, status="reversed")})
    assert row.kind == rc.DELIVERED_NOT_APPLIED and "reversed in the billing core" in row.detail


def test_a_reversal_the_bridge_recorded_is_no_disagreement() -> None:
    op = Recharge(_rid(2001), CARD, 10000)
    line = _line(2001, LineState.REVERSED, op)
    assert _run([], [line], {op.request_id: _result(op, status="reversed")}) == []


def test_a_line_still_in_flight_is_no_disagreement() -> None:
    op = Recharge(_rid(2001), CARD, 10000)
    assert _run([_paid(2001)], [_line(2001, LineState.READY, op)], {op.request_id: None}, []) == []


def test_one_request_id_applied_twice_by_a_core_without_dedupe() -> None:
    line, op, result = _delivered_line()
    again = _result(op, n=1, at_h=2)
    [row] = _run([_paid(2001)], [line], {op.request_id: result}, [result, again])
    assert (row.kind, row.request_id, row.operation_id, row.applied_fen) == (
        rc.APPLIED_TWICE,
        op.request_id,
        again.operation_id,
        20000,
    )


def test_one_line_applied_under_another_request_id() -> None:
    line, op, result = _delivered_line()
    other = _result(Recharge(_rid(2001, 7), CARD, 10000))
    [row] = _run([_paid(2001)], [line], {op.request_id: result}, [result, other])
    assert (row.kind, row.request_id, row.line_id) == (rc.APPLIED_TWICE, other.request_id, 2001)
    assert CARD not in row.detail and CARD[-4:] in row.detail


def test_the_shop_now_says_another_amount_was_paid() -> None:
    line, op, result = _delivered_line()
    [row] = _run([_paid(2001, 9000)], [line], {op.request_id: result})
    assert (row.kind, row.paid_fen, row.planned_fen) == (rc.AMOUNT_DIFFERS, 9000, 10000)


def test_the_core_applied_another_amount_than_planned() -> None:
    line, op, result = _delivered_line()
    edited = replace(result, applied=Recharge(op.request_id, CARD, 8000))
    [row] = _run([_paid(2001)], [line], {op.request_id: edited})
    assert (row.kind, row.paid_fen, row.planned_fen, row.applied_fen) == (
        rc.AMOUNT_DIFFERS,
        10000,
        10000,
        8000,
    )
    assert CARD not in row.detail


def test_a_core_that_does_not_echo_what_it_applied_is_not_an_amount_difference() -> None:
    line, op, result = _delivered_line()
    assert _run([_paid(2001)], [line], {op.request_id: replace(result, applied=None)}) == []


def test_operations_the_bridge_never_sent() -> None:
    line, op, result = _delivered_line()
    by_hand = _result(Recharge("manual-20261124-1", CARD, 3000))
    foreign_line = _result(Recharge("tv:1009:3009:0", CARD, 3000))
    other_bridge = _result(Recharge("radio:1:2:0", CARD, 3000))
    rows = _run([_paid(2001)], [line], {op.request_id: result}, [result, by_hand, foreign_line, other_bridge])
    assert [(r.kind, r.request_id) for r in rows] == [
        (rc.NOT_SENT, "manual-20261124-1"),
        (rc.NOT_SENT, "tv:1009:3009:0"),
        (rc.NOT_SENT, "radio:1:2:0"),
    ]
    assert "shop tv's request_id" in rows[1].detail and "no request_id prefix" in rows[2].detail
    assert all(r.applied_fen == 3000 for r in rows)


def test_an_operation_of_a_line_paid_another_day_is_known() -> None:
    yesterdays = _result(Recharge("tv:999:1999:0", CARD, 3000))
    assert _run([], [], {}, [yesterdays], known=frozenset({"tv:999:1999:0"})) == []


def test_paid_lines_of_the_day_leave_out_other_days_closed_trades_and_refunds() -> None:
    t = trade(1001, order_line(2001), order_line(2002, refund=RefundState.REFUNDED))
    assert [p.oid for p in rc.paid_lines("tv", t, DAY)] == ["2001"]
    assert rc.paid_lines("tv", t, DAY + timedelta(days=1)) == []
    assert rc.paid_lines("tv", replace(t, state=OrderState.CLOSED), DAY) == []
    assert rc.paid_lines("tv", replace(t, paid_at=None), DAY) == []


def test_the_day_is_the_local_day() -> None:
    start, end = rc.day_bounds(date(2026, 11, 24))
    assert (start.utcoffset(), start.hour, end - start) == (CST.utcoffset(None), 0, timedelta(days=1))


def test_the_listing_is_classified_through_the_typed_request_id(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each listed id is read once by ``request_ids.parse``, and a line is found by the ids it names:
    ``tv:1001:2001:7`` is line 2001 applied again."""
    read: list[str] = []

    def reading(text: str) -> RequestId | None:
        read.append(text)
        return request_ids.parse(text)

    monkeypatch.setattr(rc, "parse", reading)
    line, op, result = _delivered_line()
    padded = _result(Recharge("tv:1001:2001:7", CARD, 10000))
    [row] = _run([_paid(2001)], [line], {op.request_id: result}, [result, padded])
    assert read == [op.request_id, padded.request_id]
    assert row.kind is rc.DisagreementKind.APPLIED_TWICE
    assert (row.shop, row.tid, row.oid, row.line_id) == ("tv", "1001", "2001", 2001)
    assert row.request_id == padded.request_id


def test_kinds_compare_and_are_written_as_their_text() -> None:
    """A kind equals its reason code and reads as it in every report: str, format, JSON, CSV, counts."""
    line, op, _ = _delivered_line()
    [row] = _run([_paid(2001)], [line], {op.request_id: None}, [])
    kind = rc.DisagreementKind.DELIVERED_NOT_APPLIED
    assert row.kind is kind and kind == "RECON_DELIVERED_NOT_APPLIED" and kind in REASONS
    assert (str(kind), f"{kind:<28}|") == ("RECON_DELIVERED_NOT_APPLIED", "RECON_DELIVERED_NOT_APPLIED |")
    assert all(type(k) is str for k in rc.by_kind([row]))  # the demo prints this dict as it is
    assert repr(rc.by_kind([row])).startswith("{'RECON_PAID_UNKNOWN': 0, ")
    assert type(rc.row_fields(row)["kind"]) is str
    assert '"kind": "RECON_DELIVERED_NOT_APPLIED"' in json.dumps(rc.summary(DAY, [row], "LISTED"))
    assert rc.csv_text([row]).splitlines()[1].startswith("RECON_DELIVERED_NOT_APPLIED,tv,1001,2001,")


def test_a_rows_key_names_it_across_runs() -> None:
    line, op, _ = _delivered_line()
    [a] = _run([_paid(2001)], [line], {op.request_id: None}, [])
    [b] = _run([_paid(2001)], [line], {op.request_id: None}, [])
    assert a.key == b.key == f"{rc.DELIVERED_NOT_APPLIED}|tv|1001|2001|{op.request_id}|"


def test_a_line_of_another_day_applied_twice_today_is_placed_by_its_request_id() -> None:
    op = Recharge("tv:999:1999:0", CARD, 3000)
    first, again = _result(op), _result(op, n=1, at_h=2)
    [row] = _run([], [], {}, [first, again], known=frozenset({op.request_id}))
    assert (row.kind, row.shop, row.tid, row.oid, row.line_id) == (
        rc.APPLIED_TWICE,
        "tv",
        "999",
        "1999",
        None,
    )


def test_only_a_shop_that_could_not_be_read_is_a_row() -> None:
    """A shop listed makes no row; one whose storefront failed is a ``RECON_SHOP_UNLISTED`` row on that
    shop naming the storefront and its code, with a card number in the message masked."""
    shops = [
        ShopListing("main", "taobao"),
        ShopListing("pdd", "pinduoduo", "PDD_ACCESS_TOKEN_EXPIRED", f"token expired while reading {CARD}"),
    ]
    [row] = unlisted_rows(shops)
    assert (row.kind, row.shop, row.tid, row.line_id) == (rc.SHOP_UNLISTED, "pdd", None, None)
    assert row.detail.startswith("pinduoduo: PDD_ACCESS_TOKEN_EXPIRED: ") and CARD not in row.detail
    assert shops[0].fields() == {"name": "main", "storefront": "taobao", "listed": True, "error": None}
    assert shops[1].fields()["error"]["code"] == "PDD_ACCESS_TOKEN_EXPIRED"
