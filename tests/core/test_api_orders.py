"""A channel client's order (``bridge.core.api_orders``): what is taken, and the first field that differs."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from bridge.core.api_orders import ApiOrder, first_difference

LINE = {"sku": "TV-RC-0100", "quantity": 1, "amount_fen": 10000, "card_no": "8371000012345678"}
ORDER = {"order_id": "H20261208001", "paid_at": "2026-12-08T08:00:00+08:00", "lines": [LINE]}


def _with(**changes: Any) -> dict[str, Any]:
    return {**ORDER, **changes}


@pytest.mark.parametrize(
    "body",
    [
        _with(order_id="H" * 23),  # longer than a tid may be
        _with(order_id="H:1"),  # not a tid's characters
        _with(paid_at="2026-12-08T08:00:00"),  # no offset
        _with(lines=[]),
        _with(lines=[{**LINE, "product_code": "RC100"}]),  # both
        _with(lines=[{"quantity": 1, "amount_fen": 100}]),  # neither
        _with(lines=[{**LINE, "quantity": 0}]),
        _with(lines=[{**LINE, "amount_fen": -1}]),
        _with(extra=1),  # unknown field
    ],
)
def test_an_order_that_breaks_a_rule_is_refused(body: dict[str, Any]) -> None:
    """Each rule of the body, one case each."""
    with pytest.raises(ValidationError):
        ApiOrder.model_validate(body)


def test_a_card_code_line_needs_no_card() -> None:
    """``card_no`` is optional; a product code stands for a SKU."""
    order = ApiOrder.model_validate(
        _with(lines=[{"product_code": "CARD-30", "quantity": 2, "amount_fen": 6000}])
    )
    assert (order.lines[0].card_no, order.lines[0].product_code) == (None, "CARD-30")


def _first(one: dict[str, Any], other: dict[str, Any]) -> str | None:
    return first_difference(
        ApiOrder.model_validate(one).model_dump(), ApiOrder.model_validate(other).model_dump()
    )


@pytest.mark.parametrize(
    ("other", "field"),
    [
        (ORDER, None),
        (_with(paid_at="2026-12-08T00:00:00Z"), None),  # the same moment written otherwise
        (_with(paid_at="2026-12-08T08:00:01+08:00"), "paid_at"),
        (_with(lines=[LINE, {**LINE, "amount_fen": 1}]), "lines[1]"),
        (_with(lines=[{**LINE, "amount_fen": 9999}]), "lines[0].amount_fen"),
        (_with(lines=[{**LINE, "card_no": None}]), "lines[0].card_no"),
        (_with(callback_url="https://hall.example/cb"), "callback_url"),
    ],
)
def test_the_first_field_that_differs_is_named(other: dict[str, Any], field: str | None) -> None:
    """Compared by meaning, field by field in the body's order; an extra line is named by its index."""
    assert _first(ORDER, other) == field


def test_a_later_line_is_named_with_its_index() -> None:
    """``lines[1].amount_fen``: the JSON path a client can find."""
    two = _with(lines=[LINE, LINE])
    assert _first(two, _with(lines=[LINE, {**LINE, "amount_fen": 1}])) == "lines[1].amount_fen"
