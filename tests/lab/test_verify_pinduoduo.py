"""The lab's verdict on a Pinduoduo shop, read from the Pinduoduo sandbox's records and the ledger.

``bridge.lab.verify.verify_run`` for a shop whose orders are Pinduoduo's: deliveries and the
payment → delivered time come from the sandbox's orders (``pay_time``, each delivery's ``at``),
what was applied from the billing ledger's request_ids of that shop. The bench's Pinduoduo cells
are checked by it.
"""

from __future__ import annotations

from typing import Any

from bridge.core.records import LineRecord
from bridge.core.states import LineState
from bridge.lab.scenario import PlannedLine, PlannedOrder
from bridge.lab.verify import Records, verify_run

CARD = "8376000000000001"
SN = "261207-100000000000001"
PAID, LATER = "2026-12-07T10:00:00+08:00", "2026-12-07T10:00:31+08:00"


def _line(expect: str | None = None) -> PlannedLine:
    return PlannedLine(
        "TV-RC-0100", "100元充值卡", 10000, 1, 10000, expect, card_no=CARD, credit_fen=0 if expect else 10000
    )


def _order(line: PlannedLine) -> PlannedOrder:
    return PlannedOrder("topup", "tb1", "", [line], SN, ["90"], storefront="pinduoduo")


def _record(state: LineState, reason: str | None = None) -> LineRecord:
    return LineRecord(1, 1, "pdd", SN, "90", "TV-RC-0100", "t", 1, 10000, 10000, "NONE", state, 0, reason)


def _recharge(part: int = 0, shop: str = "pdd") -> dict[str, Any]:
    return {"request_id": f"{shop}:{SN}:90:{part}", "kind": "recharge", "amount_fen": 10000, "card_no": CARD}


def _records(ledger: list[dict[str, Any]], deliveries: int = 1) -> Records:
    order = {"order_sn": SN, "pay_time": PAID, "deliveries": [{"at": LATER}] * deliveries}
    return Records({}, ledger, {SN: order})


def test_a_good_line_delivered_and_credited_once_is_clean() -> None:
    """Delivered once, credited exactly its amount: no duplicate, nothing lost, delivered counted."""
    report = verify_run([_order(_line())], _records([_recharge()]), [], "pdd")
    assert (report["duplicates"], report["lost"], report["delivered"]) == (0, 0, 1)


def test_latency_runs_from_the_pay_time_to_the_first_delivery() -> None:
    """Payment → delivered is the sandbox's ``pay_time`` to the order's first delivery, in ms."""
    report = verify_run([_order(_line())], _records([_recharge()]), [], "pdd")
    assert report["latency_ms"] == {"p50": 31000.0, "p95": 31000.0, "p99": 31000.0, "max": 31000.0}


def test_a_second_delivery_is_a_duplicate() -> None:
    """An order the platform shows delivered twice counts one duplicate."""
    report = verify_run([_order(_line())], _records([_recharge()], deliveries=2), [], "pdd")
    assert report["duplicates"] == 1


def test_a_second_credit_is_a_duplicate_of_the_line_and_of_its_card() -> None:
    """A line credited beyond what was paid counts on the line, and its card credited beyond what
    its lines paid counts again."""
    report = verify_run([_order(_line())], _records([_recharge(0), _recharge(1)]), [], "pdd")
    assert report["duplicates"] == 2


def test_a_good_line_credited_but_undelivered_is_lost() -> None:
    """Credited, but the platform shows no delivery: lost."""
    report = verify_run([_order(_line())], _records([_recharge()], deliveries=0), [], "pdd")
    assert report["lost"] == 1


def test_a_good_line_delivered_without_its_credit_is_lost() -> None:
    """Delivered on the platform, nothing in the ledger: lost."""
    report = verify_run([_order(_line())], _records([]), [], "pdd")
    assert report["lost"] == 1


def test_a_bad_line_not_with_a_person_is_lost() -> None:
    """A bad line that is not in EXCEPTION in the store is lost."""
    report = verify_run(
        [_order(_line("SUBSCRIBER_NOT_FOUND"))], _records([], 0), [_record(LineState.READY)], "pdd"
    )
    assert (report["lost"], report["duplicates"]) == (1, 0)


def test_a_bad_line_applied_anyway_is_a_duplicate() -> None:
    """A bad line in EXCEPTION that the ledger shows applied counts on the line and on its card."""
    stored = [_record(LineState.EXCEPTION, "SUBSCRIBER_NOT_FOUND")]
    report = verify_run([_order(_line("SUBSCRIBER_NOT_FOUND"))], _records([_recharge()], 0), stored, "pdd")
    assert (report["lost"], report["duplicates"], report["wrong_reason"]) == (0, 2, 0)


def test_another_shops_operations_are_not_counted() -> None:
    """The ledger's operations of another shop neither credit nor duplicate this shop's lines."""
    report = verify_run([_order(_line())], _records([_recharge(), _recharge(shop="main")]), [], "pdd")
    assert (report["duplicates"], report["lost"]) == (0, 0)
