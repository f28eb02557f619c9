"""What a channel sees of its order (``bridge.core.api_status``): each line's word, the order's, its view."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bridge.core.api_orders import ApiOrderRecord
from bridge.core.api_status import (
    LINE_STATES,
    SETTLED,
    ApiOrderView,
    PipelineLine,
    order_state,
)
from bridge.core.states import LineState

S = LineState
NOW = datetime(2026, 12, 8, 2, 0, tzinfo=UTC)
LINE = {"sku": "TV-RC-0100", "quantity": 1, "amount_fen": 10000, "card_no": "8371000012345678"}
CARD_CODE = {"product_code": "CARD-100", "quantity": 1, "amount_fen": 10000}


def _view(
    *lines: PipelineLine, body_lines: int = 2, codes: dict[str, list[str]] | None = None
) -> ApiOrderView:
    body: dict[str, Any] = {
        "order_id": "H1",
        "paid_at": "2026-12-08T09:58:00+08:00",
        "lines": [LINE, CARD_CODE][:body_lines],
        "callback_url": "https://hall.example/cb",
    }
    record = ApiOrderRecord("hall", "H1", body, "0" * 64, NOW, NOW, NOW)
    return ApiOrderView(record, {line.oid: line for line in lines}, codes or {})


def test_every_pipeline_state_has_its_word() -> None:
    """The table covers each ``LineState``: a new state cannot reach a channel unnamed."""
    assert set(LINE_STATES) == set(LineState)


@pytest.mark.parametrize(
    ("state", "word"),
    [
        (S.RECEIVED, "pending"),
        (S.READY, "pending"),
        (S.SUBMITTED, "pending"),
        (S.UNKNOWN, "pending"),
        (S.APPLIED, "pending"),
        (S.HELD, "pending"),
        (S.REVERSAL_PENDING, "pending"),
        (S.REVERSING, "pending"),
        (S.DELIVERED, "delivered"),
        (S.EXCEPTION, "needs_attention"),
        (S.REVERSAL_REQUESTED, "needs_attention"),
        (S.CANCELLED, "refunded"),
        (S.REVERSED, "reversed"),
        (S.RESOLVED, "resolved"),
    ],
)
def test_a_line_s_word_comes_from_its_pipeline_state(state: LineState, word: str) -> None:
    """One row per state, as docs/api.md lists them."""
    assert LINE_STATES[state] == word


@pytest.mark.parametrize(
    ("lines", "order"),
    [
        (["received", "received"], "received"),
        (["pending", "received"], "pending"),
        (["delivered", "pending"], "pending"),
        (["delivered", "needs_attention"], "needs_attention"),
        (["pending", "needs_attention"], "needs_attention"),
        (["delivered", "delivered"], "delivered"),
        (["refunded", "refunded"], "refunded"),
        (["reversed"], "reversed"),
        (["resolved"], "resolved"),
        (["delivered", "refunded"], "settled"),
        (["reversed", "resolved"], "settled"),
    ],
)
def test_the_order_s_word_comes_from_its_lines(lines: list[str], order: str) -> None:
    """A person first, then anything moving, then the lines' one final word or ``settled``."""
    assert order_state(lines) == order


def test_only_final_and_attention_states_settle_an_order() -> None:
    """``received`` and ``pending`` queue no callback; every other order state does."""
    assert {"delivered", "needs_attention", "refunded", "reversed", "resolved", "settled"} == SETTLED


def test_an_order_not_yet_in_the_pipeline_is_received_line_by_line() -> None:
    """No stored lines: the order and each line read ``received``."""
    doc = _view().document()
    assert (doc["state"], [line["state"] for line in doc["lines"]]) == ("received", ["received", "received"])


def test_a_line_that_needs_attention_says_why_in_chinese() -> None:
    """The reason code and its text from ``bridge.core.reasons``."""
    doc = _view(PipelineLine("1", S.EXCEPTION, "CARD_MISSING"), PipelineLine("2", S.APPLIED)).document()
    first = doc["lines"][0]
    assert (first["state"], first["reason"], first["reason_text"]) == (
        "needs_attention",
        "CARD_MISSING",
        "买家留言中没有智能卡号，请联系买家",
    )


def test_a_moving_line_shows_no_reason_it_kept_from_before() -> None:
    """A line retried after an exception may keep its old code: only a line that needs a person shows one."""
    doc = _view(PipelineLine("1", S.READY, "CARD_MISSING"), body_lines=1).document()
    assert (doc["lines"][0]["reason"], doc["lines"][0]["reason_text"]) == (None, None)


def test_a_delivered_card_code_line_carries_its_codes() -> None:
    """The codes delivered for its oid; a line not delivered shows none even when codes are stored."""
    codes = {"2": ["S1:P1", "S2:P2"]}
    delivered = _view(PipelineLine("1", S.DELIVERED), PipelineLine("2", S.DELIVERED), codes=codes).document()
    reversed_ = _view(PipelineLine("1", S.DELIVERED), PipelineLine("2", S.REVERSED), codes=codes).document()
    assert [line["codes"] for line in delivered["lines"]] == [[], ["S1:P1", "S2:P2"]]
    assert [line["codes"] for line in reversed_["lines"]] == [[], []]


def test_the_card_number_is_masked_and_times_are_china_time() -> None:
    """The card's last four digits; ``paid_at`` and ``received_at`` at UTC+8."""
    doc = _view(body_lines=1).document()
    shown = (doc["lines"][0]["card_no"], doc["received_at"])
    assert shown == ("************5678", "2026-12-08T10:00:00+08:00")
