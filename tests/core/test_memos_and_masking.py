"""Memos for CS, a trade's delivery state and the one masking policy: pure tables, no I/O."""

from __future__ import annotations

from typing import Any

import pytest

from bridge.core.masking import mask_detail, mask_value
from bridge.core.reasons import Memo, memo_for, memo_text
from bridge.core.states import DeliveryState, LineState, delivery_state
from bridge.core.trades import Severity

S = LineState


@pytest.mark.parametrize(
    ("reason", "key", "flag"),
    [
        ("CARD_MISSING", "2001:CARD_MISSING", Severity.ACT),
        ("RETRIES_EXHAUSTED", "2001:RETRIES_EXHAUSTED", Severity.ACT),
        ("REFUND_BY_CS", "cs-refund:2001", Severity.ACT),
        ("REFUND_AFTER_DELIVERY", "refund:2001", Severity.WATCH),
    ],
)
def test_memo_for_keeps_the_stored_keys(reason: str, key: str, flag: Severity) -> None:
    """The memo key (unique per trade in the store) and flag are the ones memos were always queued with."""
    assert memo_for("2001", reason) == Memo(key, memo_text("2001", reason), flag)


@pytest.mark.parametrize(
    ("states", "expected"),
    [
        ([], DeliveryState.OPEN),
        ([S.APPLIED, S.READY], DeliveryState.OPEN),
        ([S.APPLIED, S.CANCELLED], DeliveryState.DUE),
        ([S.CANCELLED, S.RESOLVED], DeliveryState.NOTHING),
        ([S.REVERSAL_PENDING], DeliveryState.NOTHING),
        ([S.EXCEPTION, S.CANCELLED], DeliveryState.OPEN),
    ],
)
def test_delivery_state_from_line_states(states: list[LineState], expected: DeliveryState) -> None:
    assert delivery_state(states) is expected


@pytest.mark.parametrize(
    ("key", "value", "shown"),
    [
        ("pin", "123456", "***"),
        ("session_key", "abc", "***"),
        ("app_secret", "abc", "***"),
        ("card_no", "8371000012345678", "************5678"),
        ("request_id", "main:8371000012345678:1:0", "main:8371000012345678:1:0"),
        ("cards", [{"serial": "S1", "pin": "99"}], [{"serial": "S1", "pin": "***"}]),
    ],
)
def test_one_rule_for_keys(key: str, value: Any, shown: Any) -> None:
    """Secret words among a key's ``_``-separated words blank the value; ids are never card-masked."""
    assert mask_value(key, value) == shown


def test_event_details_follow_the_log_rule() -> None:
    """An event row's detail is masked with the same rule as a log line."""
    detail = {"note": "卡号8371000012345678", "payload": {"card_no": "8371000012345678", "api_key": "k"}}
    assert mask_detail(detail) == {
        "note": "卡号************5678",
        "payload": {"card_no": "************5678", "api_key": "***"},
    }
