"""The sandbox's own wire shapes: strict requests, answers carrying only their kind's fields."""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest
from pydantic import ValidationError

from adapters.billing_core.sandbox import wire
from adapters.billing_core.sandbox.seed import load_catalogue
from bridge.core.models import CST, IssuedCard, OperationKind, OperationResult, Recharge

APPLIED_AT = datetime(2026, 11, 24, 10, 0, 0, 123456, tzinfo=CST)


@pytest.mark.parametrize(
    ("body", "field"),
    [({"amount_fen": "15000"}, "amount_fen"), ({"request_id": "a b"}, "request_id"), ({"by": "cs"}, "by")],
)
def test_operation_requests_are_read_strictly(body: dict[str, object], field: str) -> None:
    """A number as text, a bad request_id or an unknown field is refused, naming the field only."""
    raw = {"request_id": "r-1", "kind": "recharge", "card_no": "8371000012345678", "amount_fen": 1, **body}
    with pytest.raises(ValidationError) as caught:
        wire.parse_operation(json.dumps(raw).encode())
    message = wire.describe(caught.value)
    assert field in message and "8371000012345678" not in message


def test_a_recharge_answer_carries_only_the_balance() -> None:
    result = OperationResult("r-1", "OP1", OperationKind.RECHARGE, "applied", APPLIED_AT, balance_fen=1500)
    assert wire.OperationAnswer.of(result).render() == {
        "request_id": "r-1",
        "operation_id": "OP1",
        "kind": "recharge",
        "status": "applied",
        "applied_at": "2026-11-24T10:00:00.123456+08:00",
        "balance_fen": 1500,
    }


def test_a_reversed_answer_says_when_and_why() -> None:
    card = IssuedCard("PC1", "1234567890123456", 5000, date(2027, 11, 24))
    result = OperationResult("c-1", "OP2", OperationKind.ISSUE_CARDS, "reversed", APPLIED_AT, cards=(card,))
    body = wire.OperationAnswer.of(result, APPLIED_AT, "refund 42").render()
    assert (body["status"], body["reversed_at"], body["reversal_reason"]) == (
        "reversed",
        "2026-11-24T10:00:00.123456+08:00",
        "refund 42",
    )
    assert body["cards"][0]["pin"] == "1234567890123456"
    assert "1234567890123456" not in repr(wire.OperationAnswer.of(result))


def test_the_ledger_form_of_a_request_reads_back() -> None:
    op = Recharge("r-1", "8371000012345678", 15000)
    assert wire.parse_operation(json.dumps(wire.operation_body(op)).encode()) == op


def test_the_shipped_catalogue_renders_as_get_products_answers() -> None:
    """Every product of the package's catalogue file survives a trip through the answer shape."""
    products = load_catalogue()
    assert [wire.ProductAnswer.of(p).to_domain() for p in products] == products
    assert {wire.ProductAnswer.of(p).model_dump(mode="json")["period"] for p in products} == {None, "month"}
