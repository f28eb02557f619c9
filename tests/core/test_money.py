"""Money: yuan strings in, integer fen inside, deterministic splitting at the per-operation cap."""

from __future__ import annotations

import pytest

from bridge.core.money import YuanError, fen_to_yuan, parse_yuan, split_amount, yuan_to_fen


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("50.00", 5000),
        ("50", 5000),
        ("0.01", 1),
        ("2000.00", 200000),
        ("19.9", 1990),
        (" 8.00 ", 800),
        ("0", 0),
    ],
)
def test_yuan_to_fen(text: str, fen: int) -> None:
    assert yuan_to_fen(text) == fen


@pytest.mark.parametrize("text", ["", "-1.00", "1.001", "1,00", "abc", "1e3", "NaN", "１.００x", "1.", None])
def test_yuan_to_fen_rejects_garbage(text: str) -> None:
    """Anything but a plain non-negative decimal with ≤ 2 places is refused, naming the text."""
    with pytest.raises(ValueError, match="not a yuan amount"):
        yuan_to_fen(text)


@pytest.mark.parametrize(
    ("fen", "text"), [(5000, "50.00"), (1, "0.01"), (199, "1.99"), (0, "0.00"), (-150, "-1.50")]
)
def test_fen_to_yuan(fen: int, text: str) -> None:
    assert fen_to_yuan(fen) == text


@pytest.mark.parametrize(
    ("total", "cap", "parts"),
    [
        (600_000, 500_000, [500_000, 100_000]),
        (500_000, 500_000, [500_000]),
        (1_000_000, 500_000, [500_000, 500_000]),
        (5000, 500_000, [5000]),
        (1_500_001, 500_000, [500_000, 500_000, 500_000, 1]),
    ],
)
def test_split_amount(total: int, cap: int, parts: list[int]) -> None:
    """A credit above the cap is split, largest parts first, summing to the total."""
    assert split_amount(total, cap) == parts
    assert sum(parts) == total


@pytest.mark.parametrize(("total", "cap"), [(0, 10), (-5, 10), (10, 0)])
def test_split_amount_rejects_non_positive(total: int, cap: int) -> None:
    with pytest.raises(ValueError):
        split_amount(total, cap)


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("6", 600),
        ("6.00", 600),
        ("5.5", 550),
        ("0.01", 1),
        (" 12.30 ", 1230),
        ("¥6", 600),
        ("￥5.50", 550),
        ("６元", 600),
        ("0", 0),
        ("2000", 200000),
    ],
)
def test_a_typed_price_in_yuan_becomes_fen(text: str, fen: int) -> None:
    """What an admin types into the editor's price field: whole yuan, jiao, fen, a ¥ sign."""
    assert parse_yuan(text) == fen


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "empty"),
        ("  ", "empty"),
        ("¥", "empty"),
        ("6.001", "too_precise"),
        ("5.555", "too_precise"),
        ("-6", "negative"),
        ("-0.5", "negative"),
        ("abc", "not_number"),
        ("6元5角", "not_number"),
        ("1,000", "not_number"),
        ("1e3", "not_number"),
        ("6.", "not_number"),
        ("1234567890", "too_large"),
    ],
)
def test_a_typed_price_that_is_not_one_says_why(text: str, code: str) -> None:
    """Each refusal carries a code the console turns into a sentence at the field."""
    with pytest.raises(YuanError) as caught:
        parse_yuan(text)
    assert caught.value.code == code and repr(text) in str(caught.value)
