"""Wire shapes: round trips to the domain, request_id rule, and messages that leak nothing.

The client's shapes (``adapters.billing_core.wire``) and the sandbox's
(``adapters.billing_core.sandbox.wire``) are written apart; each round trip
goes from one side to the other, so a field the two read differently fails.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timezone

import pytest
from pydantic import ValidationError

from adapters.billing_core import wire
from adapters.billing_core.sandbox import wire as sandbox_wire
from bridge.core.errors import Permanent
from bridge.core.models import (
    CST,
    IssueCards,
    IssuedCard,
    Operation,
    OperationKind,
    OperationResult,
    Product,
    ProductKind,
    Recharge,
    Subscribe,
)


@pytest.mark.parametrize(
    ("text", "valid"),
    [("a", True), ("a" * 64, True), ("a" * 65, False), ("", False), ("shop1:tid.42-oid_7", True),
     ("a b", False), ("a/b", False), ("订单", False), ("a\n", False)],
)  # fmt: skip  # one case per line reads as a table
def test_request_id_rule(text: str, valid: bool) -> None:
    assert wire.is_request_id(text) is valid
    assert sandbox_wire.is_request_id(text) is valid


@pytest.mark.parametrize(
    "operation",
    [Recharge("r-1", "8371000012345678", 15000), Subscribe("s-1", "8371000012345678", "CH-FYZQ", 3),
     IssueCards("c-1", 5000, 2)],
)  # fmt: skip  # one case per line reads as a table
def test_operation_requests_round_trip(operation: Operation) -> None:
    """What the client sends is what the sandbox reads, and what the sandbox's ledger keeps."""
    body = json.dumps(wire.operation_to_request(operation).model_dump(mode="json")).encode()
    assert json.loads(body)["kind"] == operation.kind.value
    assert sandbox_wire.parse_operation(body) == operation
    assert json.loads(body) == sandbox_wire.operation_body(operation)


def test_issue_cards_request_has_no_card_number() -> None:
    assert set(wire.operation_to_request(IssueCards("c-1", 5000, 2)).model_dump()) == {
        "request_id",
        "kind",
        "face_value_fen",
        "count",
    }


def test_operation_result_round_trips() -> None:
    card = IssuedCard("PC00500000000001", "1234567890123456", 5000, date(2027, 11, 24))
    result = OperationResult(
        "c-1",
        "OP1",
        OperationKind.ISSUE_CARDS,
        "applied",
        datetime(2026, 11, 24, 10, tzinfo=CST),
        cards=(card,),
    )
    body = json.dumps(sandbox_wire.OperationAnswer.of(result).render()).encode()
    assert wire.parse_answer(wire.OperationWire, "test", body).to_domain() == result


def test_parsed_times_carry_a_stdlib_timezone() -> None:
    body = b'{"request_id":"r","operation_id":"OP1","kind":"recharge","status":"applied",' + (
        b'"applied_at":"2026-11-24T10:00:00.5+08:00","balance_fen":1}'
    )
    applied_at = wire.parse_answer(wire.OperationWire, "test", body).to_domain().applied_at
    assert type(applied_at.tzinfo) is timezone
    assert applied_at == datetime(2026, 11, 24, 10, 0, 0, 500000, tzinfo=CST)


def test_product_round_trips() -> None:
    product = Product("CH-GQYY", "高清影院", ProductKind.CHANNEL, 3000, "month", True)
    body = json.dumps(sandbox_wire.ProductAnswer.of(product).model_dump(mode="json")).encode()
    assert wire.parse_answer(wire.ProductWire, "test", body).to_domain() == product


def test_card_repr_hides_the_pin() -> None:
    card = wire.CardWire(
        serial="PC1", pin="1234567890123456", face_value_fen=5000, expires_on=date(2027, 1, 1)
    )
    assert "1234567890123456" not in repr(card)


def test_invalid_answer_messages_never_echo_values() -> None:
    body = json.dumps(
        {"card_no": 8371000012345678, "subscriber_id": "S1", "status": "active", "two_way": True,
         "region": "410100", "balance_fen": 1, "entitlements": []}
    ).encode()  # fmt: skip  # one case per line reads as a table
    with pytest.raises(Permanent) as caught:
        wire.parse_answer(wire.SubscriberWire, "GET /v1/subscribers/{card_no}", body)
    assert "card_no" in str(caught.value)
    assert "8371000012345678" not in str(caught.value)


def test_many_problems_are_summarised() -> None:
    with pytest.raises(Permanent, match=r"\(\+4 more\)"):
        wire.parse_answer(wire.SubscriberWire, "GET /v1/subscribers/{card_no}", b"{}")


def test_unknown_answer_fields_are_ignored_but_request_fields_are_not() -> None:
    answer = {"queued": True, "eta_s": 3}
    assert wire.parse_answer(wire.QueuedWire, "test", json.dumps(answer).encode()).queued is True
    with pytest.raises(ValidationError):
        wire.ReversalRequest.model_validate_json(b'{"reason": "refund", "by": "cs"}')
