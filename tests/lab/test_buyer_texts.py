"""Buyer texts end to end (issue 4 §3): whatever a shopper types, through the marketplace and the bridge.

``bridge/cardno.py``'s own tests pin the reading rules; these place the order
through the marketplace sandbox and run the bridge's jobs, checking what the
sandboxes recorded: the text kept verbatim, the credit on exactly the card the
buyer meant, or no credit at all and the line with a person, flagged red.
"""

from __future__ import annotations

import pytest

from bridge.core.states import LineState
from tests.rig import Rig, line

FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")

CASES: dict[str, tuple[str, str | None]] = {
    # name: (the buyer's text, with {card} / {other} for real cards; None = credited to {card}, else reason)
    "html-and-script": ("<p>卡号：<b>{card}</b></p><script>alert('x')</script>", None),
    "sql-injection": ("'); DROP TABLE lines; -- 卡号{card} OR 1=1", None),
    "emoji": ("📺📺 充值到👉{card}👈 谢谢🙏", None),
    "full-width-digits": ("卡号：{card_fw}", None),
    "grouped-with-phone": ("卡 {grouped} 电话13800138000", None),
    "same-card-twice": ("{card}，再说一遍 {card}", None),
    "two-cards": ("给 {card} 和 {other} 各充一半", "CARD_AMBIGUOUS"),
    "no-card": ("请尽快充值，谢谢！<br>", "CARD_MISSING"),
    "zero-width-inside": ("卡号{card_zw}", "CARD_WRONG_LENGTH"),
    "too-short": ("卡号{short}", "CARD_WRONG_LENGTH"),
}


def _text(template: str, card: str, other: str) -> str:
    return template.format(
        card=card,
        other=other,
        card_fw=card.translate(FULL_WIDTH),
        grouped=f"{card[:4]} {card[4:8]} {card[8:12]} {card[12:]}",
        card_zw=card[:8] + "\u200b" + card[8:],
        short=card[:12],
    )


async def _run(rig: Rig, name: str) -> tuple[int, str, str]:
    cards = await rig.cards()
    text = _text(CASES[name][0], cards[5], cards[6])
    tid = await rig.order(line(), message=text)
    for _ in range(2):
        await rig.cycle()
    return tid, text, cards[5]


@pytest.mark.parametrize("name", sorted(CASES))
async def test_the_buyer_text_is_kept_verbatim(rig: Rig, name: str) -> None:
    """The stored trade holds exactly what the buyer typed (markup, quotes and all)."""
    tid, text, _ = await _run(rig, name)
    [trade] = await rig.deps.store.views.find_trades(tid)
    assert trade.buyer_message == text


@pytest.mark.parametrize("name", sorted(name for name, (_, reason) in CASES.items() if reason is None))
async def test_a_readable_card_is_credited_exactly_once(rig: Rig, name: str) -> None:
    """One card number the rules can read: that card, and only it, is credited once; the trade shipped."""
    tid, _, card = await _run(rig, name)
    assert [(op["card_no"], op["amount_fen"]) for op in await rig.ledger(tid)] == [(card, 10000)]
    assert len((await rig.market_trade(tid))["deliveries"]) == 1


@pytest.mark.parametrize("name", sorted(name for name, (_, reason) in CASES.items() if reason))
async def test_an_unreadable_text_goes_to_a_person_and_nothing_is_guessed(rig: Rig, name: str) -> None:
    """No single valid card: nothing credited, the line in EXCEPTION with its reason, a red memo."""
    tid, _, _ = await _run(rig, name)
    [stored] = await rig.lines(tid)
    assert (stored.state, stored.reason) == (LineState.EXCEPTION, CASES[name][1])
    assert await rig.ledger(tid) == []
    assert (await rig.market_trade(tid))["flag"] == 1
