"""Log masking: card numbers keep their last 4; PINs, secrets and session keys never appear."""

from __future__ import annotations

import io
import json

import pytest
import structlog

from bridge.core.masking import mask_card, mask_text, register_secret
from bridge.logs import configure_logging


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("卡号8371000012345678", "卡号************5678"),
        ("8371 0000 1234 5678", "************5678"),
        ("8371-0000-1234-5678 ok", "************5678 ok"),
        ("tid 2026112400000000123", "tid 2026112400000000123"),
        ("phone 13800138000", "phone 13800138000"),
    ],
)
def test_mask_text(text: str, masked: str) -> None:
    """Card-like digit runs are masked; 17+ digit marketplace ids and phone numbers are not."""
    assert mask_text(text) == masked


def test_rendered_log_line_hides_everything_sensitive() -> None:
    """A JSON log line with a card, a PIN, a secret and a session key shows none of them in full."""
    out = io.StringIO()
    configure_logging("info", "json", stream=out)
    register_secret("s3cr3t-app-secret")
    structlog.get_logger("t").info(
        "applied",
        card_no="8371000012345678",
        pin="123456",
        session="6201a7c9ffee",
        tid=2026112400000000123,
        note="signed with s3cr3t-app-secret",
        request_id="main:2026112400000000123:1:0",
    )
    line = json.loads(out.getvalue())
    text = out.getvalue()
    assert line["card_no"] == "************5678"
    assert "123456" not in text and "6201a7c9ffee" not in text and "s3cr3t-app-secret" not in text
    assert line["tid"] == 2026112400000000123 and line["request_id"] == "main:2026112400000000123:1:0"


def test_log_line_shows_a_card_as_mask_card_does() -> None:
    """The processor shows a card number as ``mask_card`` does, as a value or inside a text."""
    out = io.StringIO()
    configure_logging("info", "json", stream=out)
    structlog.get_logger("t").info("applied", card_no="8371 0000 1234 5678", note="to card 8371000012345678")
    line = json.loads(out.getvalue())
    assert line["card_no"] == mask_card("8371000012345678")
    assert line["note"] == f"to card {mask_card('8371000012345678')}"
