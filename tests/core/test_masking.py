"""The one card mask, ``mask_card``: its table, and ``mask_text`` masking card-like runs with it."""

from __future__ import annotations

import pytest

from bridge.core.masking import mask_card, mask_text


@pytest.mark.parametrize(
    ("card_no", "masked"),
    [
        ("8371000012345678", "************5678"),
        ("837100001234", "********1234"),
        ("12345678", "****5678"),
        ("12345", "*2345"),
        ("1234", "****"),
        ("12", "**"),
        ("", ""),
        ("８３７１０００", "***１０００"),
    ],
    ids=["16 digits", "12 digits", "8 digits", "5 digits", "4 digits", "2 digits", "empty", "full-width"],
)
def test_mask_card(card_no: str, masked: str) -> None:
    """All but the last 4 characters as ``*``; 4 or fewer are hidden whole."""
    assert mask_card(card_no) == masked


@pytest.mark.parametrize(
    ("text", "card_no"),
    [
        ("卡号8371000012345678", "8371000012345678"),
        ("8371 0000 1234 5678", "8371000012345678"),
        ("8371-0000-1234-5678", "8371000012345678"),
        ("card 837100001234.", "837100001234"),
    ],
)
def test_mask_text_masks_a_card_like_run_with_mask_card(text: str, card_no: str) -> None:
    """A card-like run in a text reads exactly as ``mask_card`` shows its digits."""
    assert mask_card(card_no) in mask_text(text)
    assert card_no not in mask_text(text)
