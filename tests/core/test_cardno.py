"""Card-number extraction from buyer text: a table of real-world and hostile inputs."""

from __future__ import annotations

import contextlib
import time
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.core.cardno import CardNumberError, CardReason, CardRule, extract_card_no
from bridge.core.errors import Permanent
from bridge.core.masking import mask_card
from bridge.core.models import CST
from bridge.core.trades import OrderLine, OrderState, Trade

CARD = "8371000012345678"
OTHER = "8371000087654321"
DEFAULT = CardRule()
PREFIXED = CardRule(prefixes=("8371",))
TWO_LENGTHS = CardRule(lengths=(12, 16))
LINE_ONLY = CardRule(sources=("customization",))
MESSAGE_FIRST = CardRule(sources=("buyer_message", "customization"))


def _extract(message: str | None, customization: str | None = None, rule: CardRule = DEFAULT) -> str:
    created = datetime(2026, 11, 24, 10, 0, tzinfo=CST)
    line = OrderLine(
        oid="2001",
        sku_code="TV-RC-0100",
        platform_sku_id=None,
        title="数字电视缴费 100元",
        quantity=1,
        price_fen=10000,
        payment_fen=10000,
        state=OrderState.PAID,
        customization=customization,
    )
    trade = Trade(
        tid="1001",
        state=OrderState.PAID,
        buyer="tb_buyer",
        created=created,
        modified=created,
        payment_fen=10000,
        lines=(line,),
        buyer_message=message,
    )
    return extract_card_no(trade, line, rule)


FOUND = [
    # (id, buyer_message, customization, rule, expected)
    ("plain", f"卡号{CARD}", None, DEFAULT, CARD),
    ("bare", CARD, None, DEFAULT, CARD),
    ("full-width digits", "卡号：８３７１００００１２３４５６７８", None, DEFAULT, CARD),
    ("groups with spaces", "卡号 8371 0000 1234 5678 谢谢", None, DEFAULT, CARD),
    ("groups with hyphens", "8371-0000-1234-5678", None, DEFAULT, CARD),
    ("full-width hyphens and space", "８３７１－００００－１２３４　５６７８", None, DEFAULT, CARD),
    ("mixed separators", "8371 0000-1234 5678", None, DEFAULT, CARD),
    ("phone before card", f"电话13800138000 卡号{CARD}", None, DEFAULT, CARD),
    ("phone right after card", f"{CARD} 13800138000", None, DEFAULT, CARD),
    ("grouped card then phone", "8371 0000 1234 5678 13800138000", None, DEFAULT, CARD),
    ("a phone ends a group", "8371 0000 1234 5678 13800138000 3个月", None, DEFAULT, CARD),
    ("same card twice", f"卡号{CARD}，再确认一次{CARD}", None, DEFAULT, CARD),
    ("same card grouped and plain", f"{CARD} / 8371 0000 1234 5678", None, DEFAULT, CARD),
    ("same grouped card back to back", "8371 0000 1234 5678 8371 0000 1234 5678", None, DEFAULT, CARD),
    ("date before card", f"2026-11-24 {CARD}", None, DEFAULT, CARD),
    ("emoji around", f"📺卡号👉{CARD}👈谢谢🙏", None, DEFAULT, CARD),
    ("html and script", f"<b>{CARD}</b><script>alert(1)</script>", None, DEFAULT, CARD),
    ("sql injection", f"{CARD}'; DROP TABLE lines;--", None, DEFAULT, CARD),
    ("customization only", None, f"智能卡号:{CARD}", DEFAULT, CARD),
    ("customization wins over message", f"卡号{OTHER}", CARD, DEFAULT, CARD),
    ("message when customization has none", CARD, "尽快到账", DEFAULT, CARD),
    ("rule order: message first", CARD, OTHER, MESSAGE_FIRST, CARD),
    ("prefix rule skips order number", f"订单号1234567890123456 卡号{CARD}", None, PREFIXED, CARD),
    ("second allowed length", "卡号 837100001234", None, TWO_LENGTHS, "837100001234"),
    ("card after 100 kB of text", "好" * 100_000 + CARD, None, DEFAULT, CARD),
    ("lone surrogate in text", f"\ud800{CARD}", None, DEFAULT, CARD),
]


@pytest.mark.parametrize(
    ("message", "customization", "rule", "expected"),
    [case[1:] for case in FOUND],
    ids=[case[0] for case in FOUND],
)
def test_card_number_found(
    message: str | None, customization: str | None, rule: CardRule, expected: str
) -> None:
    """Exactly one valid number in the first source holding one is returned as plain digits."""
    assert _extract(message, customization, rule) == expected


REFUSED = [
    # (id, buyer_message, customization, rule, reason)
    ("nothing at all", None, None, DEFAULT, CardReason.CARD_MISSING),
    ("empty strings", "", "", DEFAULT, CardReason.CARD_MISSING),
    ("words only", "请尽快充值，谢谢！", None, DEFAULT, CardReason.CARD_MISSING),
    ("emoji only", "🙏📺👍", None, DEFAULT, CardReason.CARD_MISSING),
    ("arabic-indic digits are not read", "٨٣٧١٠٠٠٠١٢٣٤٥٦٧٨", None, DEFAULT, CardReason.CARD_MISSING),
    ("card only in an unused source", CARD, None, LINE_ONLY, CardReason.CARD_MISSING),
    ("two different cards", f"{CARD} 和 {OTHER}", None, DEFAULT, CardReason.CARD_AMBIGUOUS),
    (
        "two different grouped back to back",
        "8371 0000 1234 5678 8371 0000 8765 4321",
        None,
        DEFAULT,
        CardReason.CARD_AMBIGUOUS,
    ),
    ("two lengths both allowed", f"837100001234 {CARD}", None, TWO_LENGTHS, CardReason.CARD_AMBIGUOUS),
    ("two cards in customization", "x", f"{CARD},{OTHER}", DEFAULT, CardReason.CARD_AMBIGUOUS),
    ("15 digits", "837100001234567", None, DEFAULT, CardReason.CARD_WRONG_LENGTH),
    ("17 digits", "83710000123456789", None, DEFAULT, CardReason.CARD_WRONG_LENGTH),
    ("grouped 17 digits", "8371 0000 1234 5678 9", None, DEFAULT, CardReason.CARD_WRONG_LENGTH),
    ("phone only", "电话13800138000", None, DEFAULT, CardReason.CARD_WRONG_LENGTH),
    ("wrong prefix", "1234000012345678", None, PREFIXED, CardReason.CARD_WRONG_LENGTH),
    ("double space breaks a group", "8371  0000 1234 5678", None, DEFAULT, CardReason.CARD_WRONG_LENGTH),
    ("html entities", "&#56;&#51;&#55;&#49;", None, DEFAULT, CardReason.CARD_WRONG_LENGTH),
]


@pytest.mark.parametrize(
    ("message", "customization", "rule", "reason"),
    [case[1:] for case in REFUSED],
    ids=[case[0] for case in REFUSED],
)
def test_card_number_refused(
    message: str | None, customization: str | None, rule: CardRule, reason: CardReason
) -> None:
    """Missing, ambiguous and malformed numbers raise CardNumberError with the reason code."""
    with pytest.raises(CardNumberError) as caught:
        _extract(message, customization, rule)
    assert caught.value.reason is reason
    assert caught.value.code == reason.value


@pytest.mark.parametrize(
    "message",
    [f"{CARD} 和 {OTHER}", "837100001234567", "83710000123456789", "1234000012345678"],
    ids=["ambiguous", "short", "long", "prefix"],
)
def test_error_detail_never_holds_a_full_number(message: str) -> None:
    """The detail masks every number it mentions to its last 4 digits."""
    with pytest.raises(CardNumberError) as caught:
        _extract(message, rule=PREFIXED)
    detail = caught.value.detail
    for number in (CARD, OTHER, "837100001234567", "83710000123456789", "1234000012345678"):
        assert number not in detail
    assert "****" in detail


def test_ambiguous_detail_names_both_masked_numbers() -> None:
    """CS can tell the two candidates apart by their last 4 digits."""
    with pytest.raises(CardNumberError) as caught:
        _extract(f"{CARD} 和 {OTHER}")
    assert "************5678" in caught.value.detail
    assert "************4321" in caught.value.detail


def test_error_details_show_numbers_as_the_one_card_mask_does() -> None:
    """Every number an error detail names is shown by ``mask_card``, the mask pages and logs use."""
    with pytest.raises(CardNumberError) as ambiguous:
        _extract(f"{CARD} 和 {OTHER}")
    with pytest.raises(CardNumberError) as short:
        _extract("837100001234567")
    assert f"{mask_card(CARD)}, {mask_card(OTHER)}" in ambiguous.value.detail
    assert f"15 digits ({mask_card('837100001234567')})" in short.value.detail


def test_card_number_error_is_permanent() -> None:
    """A card problem is for a person to decide, in the project's error tree."""
    with pytest.raises(Permanent):
        _extract(None)


HOSTILE_100KB = [
    ("digits", "1" * 100_000),
    ("grouped digits", "123 " * 25_000),
    ("alternating digit and letter", "1a" * 50_000),
    ("hyphen chains", "12-" * 33_000),
    ("script tags", "<script>alert('x')</script>" * 4_000),
    ("sql", "'; DROP TABLE lines; -- " * 4_000),
    ("emoji", "😀" * 100_000),
    ("full-width digits and spaces", "８　" * 50_000),
]


@pytest.mark.parametrize("text", [case[1] for case in HOSTILE_100KB], ids=[case[0] for case in HOSTILE_100KB])
def test_hostile_100kb_input_is_fast(text: str) -> None:
    """Large hostile text ends in a result or a CardNumberError, well under a second."""
    started = time.perf_counter()
    with contextlib.suppress(CardNumberError):
        _extract(text, text)
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize(
    "kwargs",
    [{"sources": ("remark",)}, {"sources": ()}, {"lengths": ()}, {"lengths": (0,)}, {"prefixes": ("83a",)}],
    ids=["unknown source", "no source", "no length", "zero length", "non-digit prefix"],
)
def test_card_rule_refuses_nonsense(kwargs: dict[str, tuple[object, ...]]) -> None:
    """A misconfigured rule fails when it is built, not when a buyer's text arrives."""
    with pytest.raises(ValueError, match="card"):
        CardRule(**kwargs)  # type: ignore[arg-type]


_DIGITISH = st.text(alphabet="0123456789 -８３—\u3000a卡号", max_size=300)


@settings(max_examples=300, deadline=None)
@given(
    message=st.one_of(st.none(), st.text(max_size=500), _DIGITISH),
    customization=st.one_of(st.none(), _DIGITISH),
)
def test_never_raises_anything_but_card_number_error(message: str | None, customization: str | None) -> None:
    """On any text, the result is a valid number or a CardNumberError; nothing else escapes."""
    for rule in (DEFAULT, PREFIXED, TWO_LENGTHS):
        try:
            found = _extract(message, customization, rule)
        except CardNumberError as exc:
            assert exc.reason in CardReason
        else:
            assert rule.accepts(found)
