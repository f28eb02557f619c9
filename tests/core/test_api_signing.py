"""The order API's signature rule (``bridge.core.api_signing``): docs/api.md's worked example, the edges."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bridge.core.api_signing import seconds_off, sign, signature_matches, string_to_sign

BODY = (
    b'{"order_id":"H20261208001","paid_at":"2026-12-08T09:58:00+08:00","lines":[{"sku":"TV-RC-0100",'
    b'"quantity":1,"amount_fen":10000,"card_no":"8371000012345678"}]}'
)
DOCS = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def test_the_string_to_sign_is_method_target_timestamp_and_body_hash() -> None:
    """Four lines: the method in upper case, the target with its query, the timestamp, the body's SHA-256."""
    assert string_to_sign("post", "/api/v1/orders?x=1", "1796688000", b"").split(b"\n") == [
        b"POST",
        b"/api/v1/orders?x=1",
        b"1796688000",
        b"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    ]


def test_the_worked_example_of_the_docs() -> None:
    """docs/api.md's example (its body, secret and timestamp) signs to the value it shows."""
    text = DOCS.read_text(encoding="utf-8")
    assert BODY.decode() in text
    [shown] = re.findall(r'# signature == "([0-9a-f]{64})"', text)
    assert sign("hall-signing-secret", "POST", "/api/v1/orders", "1796688000", BODY) == shown


def test_a_signature_matches_in_either_case_and_nothing_else_does() -> None:
    """Hex in upper case matches; another secret, target, timestamp or body does not."""
    good = sign("k", "POST", "/api/v1/orders", "1", BODY)
    assert signature_matches("k", "POST", "/api/v1/orders", "1", BODY, good.upper())
    assert not signature_matches("k2", "POST", "/api/v1/orders", "1", BODY, good)
    assert not signature_matches("k", "POST", "/api/v1/orders?page=2", "1", BODY, good)
    assert not signature_matches("k", "POST", "/api/v1/orders", "2", BODY, good)
    assert not signature_matches("k", "POST", "/api/v1/orders", "1", BODY + b" ", good)
    assert not signature_matches("k", "POST", "/api/v1/orders", "1", BODY, "签名")


NOW = datetime(2026, 12, 8, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("timestamp", "off"),
    [
        (str(int(NOW.timestamp())), 0.0),
        (str(int(NOW.timestamp()) - 301), 301.0),
        (str(int(NOW.timestamp()) + 300), 300.0),
        ("", None),
        ("-5", None),
        ("1796688000.5", None),
        ("9" * 13, None),
    ],
)
def test_how_far_a_timestamp_is_off(timestamp: str, off: float | None) -> None:
    """UNIX seconds only (no sign, no fraction); the distance either way."""
    assert seconds_off(timestamp, NOW) == off
