"""The seller memo follows the line, against the marketplace sandbox's memo and flag (both engines).

A line that needs CS gets a red section; once it is delivered after a fix,
resolved or cancelled, its section becomes a short note, CS's own text stays,
and the flag is red only while some line of the trade still needs CS.
"""

from __future__ import annotations

from typing import Any

from bridge.core.states import LineState
from bridge.services import cs_actions
from bridge.services.memos import WAIT_S, write_memos_due
from tests.rig import Rig, line

S = LineState
UNKNOWN_CARD = "8371999999990000"  # well-formed, but no subscriber has it
NOT_FOUND = "智能卡号不存在"
CS_NOTE = "客服小王：已电话联系买家，等待回复"
RED, YELLOW, GREEN, BLUE = 1, 2, 3, 4  # Taobao's flag colours, as the sandbox shows them


def _cs_types(rig: Rig, tid: str, text: str) -> None:
    """Shop staff add their own line to the memo in the seller back office (the flag left alone)."""
    book = rig.sb.market.sandbox.book
    trade = book.get(int(tid))
    book.update_memo(trade, f"{trade.memo}\n{text}" if trade.memo else text, None, reset=False)


async def _shown(rig: Rig, tid: str) -> tuple[str, int, list[dict[str, Any]]]:
    trade = await rig.market_trade(tid)
    return trade["memo"] or "", int(trade["flag"]), trade["memo_history"]


async def test_a_wrong_card_fixed_by_cs_ends_delivered_with_its_red_memo_gone(rig: Rig) -> None:
    """Red with the reason while in EXCEPTION; after the corrected card is delivered: green, a short
    note instead of the reason, and the text CS typed meanwhile kept."""
    tid = await rig.order(line(), message=f"卡号{UNKNOWN_CARD}")
    await rig.cycle()
    [ln] = await rig.lines(tid)
    memo, flag, _ = await _shown(rig, tid)
    assert (ln.state, flag) == (S.EXCEPTION, RED) and NOT_FOUND in memo and "请到客服台处理" in memo
    _cs_types(rig, tid, CS_NOTE)
    card = (await rig.cards())[30]
    assert (await cs_actions.correct_card(rig.deps, "cs", ln.id, card)).done
    await rig.cycle()
    [ln] = await rig.lines(tid)
    memo, flag, history = await _shown(rig, tid)
    assert ln.state is S.DELIVERED
    assert flag == GREEN and NOT_FOUND not in memo and "已开通" in memo
    assert memo.endswith(CS_NOTE) and memo.count("[自动发货]") == 1
    rig.later(10)
    await rig.cycle()
    assert (await _shown(rig, tid))[2] == history  # nothing left to write: no further memo writes


async def test_two_lines_stay_red_until_the_bad_one_is_settled(rig: Rig) -> None:
    """One line unmapped, one fine: red while the unmapped one waits; resolved by CS: green, delivered."""
    card = (await rig.cards())[31]
    tid = await rig.order(line(), line("TV-NO-SUCH-SKU", "4.00"), message=card)
    await rig.cycle()
    rig.later(10)
    await rig.cycle()
    good, bad = sorted(await rig.lines(tid), key=lambda ln: ln.reason is not None)
    assert (good.state, bad.state, bad.reason) == (S.APPLIED, S.EXCEPTION, "UNMAPPED_SKU")
    memo, flag, _ = await _shown(rig, tid)
    assert flag == RED and "商品编码未配置映射" in memo
    outcome = await cs_actions.resolve(rig.deps, "cs", bad.id, "HANDLED_AT_HALL", "营业厅已办理")
    assert outcome.done
    await rig.cycle()
    memo, flag, _ = await _shown(rig, tid)
    assert {ln.state for ln in await rig.lines(tid)} == {S.DELIVERED, S.RESOLVED}
    assert flag == GREEN and "商品编码未配置映射" not in memo and "客服已处理" in memo


async def test_cancelled_by_cs_the_reason_goes_and_the_refund_waits_in_yellow(rig: Rig) -> None:
    """CS cancels the line for a refund: not red any more, the section asks for the refund."""
    tid = await rig.order(line(), message=f"卡号{UNKNOWN_CARD}")
    await rig.cycle()
    [ln] = await rig.lines(tid)
    _cs_types(rig, tid, CS_NOTE)
    assert (await cs_actions.cancel_refund(rig.deps, "cs", ln.id, "买家要求退款")).done
    await rig.cycle()
    memo, flag, _ = await _shown(rig, tid)
    assert flag == YELLOW and NOT_FOUND not in memo and "请在网店后台为买家退款" in memo
    assert memo.endswith(CS_NOTE)


async def test_refunded_by_the_buyer_the_section_says_refunded(rig: Rig) -> None:
    """The buyer's refund completes while the line waits in EXCEPTION: cancelled, "已退款", green."""
    tid = await rig.order(line(), message=f"卡号{UNKNOWN_CARD}")
    await rig.cycle()
    [ln] = await rig.lines(tid)
    await rig.refund(tid, ln.oid, "success")
    rig.later(2)
    await rig.cycle()
    memo, flag, _ = await _shown(rig, tid)
    assert (await rig.lines(tid))[0].state is S.CANCELLED
    assert flag == GREEN and NOT_FOUND not in memo and "已退款" in memo


async def test_a_flag_cs_set_in_a_colour_the_bridge_does_not_use_is_kept(rig: Rig) -> None:
    tid = await rig.order(line(), message=f"卡号{UNKNOWN_CARD}")
    await rig.cycle()
    [ln] = await rig.lines(tid)
    book = rig.sb.market.sandbox.book
    book.update_memo(book.get(int(tid)), None, BLUE, reset=False)
    assert (await cs_actions.resolve(rig.deps, "cs", ln.id, "OTHER", "已处理")).done
    await rig.cycle()
    memo, flag, _ = await _shown(rig, tid)
    assert flag == BLUE and "客服已处理" in memo and NOT_FOUND not in memo


async def test_once_the_buyer_cs_cancelled_for_is_refunded_the_memo_turns_green(rig: Rig) -> None:
    """The yellow "refund the buyer" section becomes "已退款" when the marketplace shows the refund."""
    tid = await rig.order(line(), message=f"卡号{UNKNOWN_CARD}")
    await rig.cycle()
    [ln] = await rig.lines(tid)
    assert (await cs_actions.cancel_refund(rig.deps, "cs", ln.id, "买家要求退款")).done
    await rig.cycle()
    await rig.refund(tid, ln.oid, "success")
    rig.later(2)
    await rig.cycle()
    memo, flag, _ = await _shown(rig, tid)
    assert flag == GREEN and "已退款" in memo and "请在网店后台为买家退款" not in memo


async def test_the_memo_of_a_fixed_line_waits_until_the_line_settles(rig: Rig) -> None:
    """Corrected but not yet provisioned: nothing is written (the section would say nothing new);
    once delivered, one write says so."""
    tid = await rig.order(line(), message=f"卡号{UNKNOWN_CARD}")
    await rig.cycle()
    [ln] = await rig.lines(tid)
    _, _, history = await _shown(rig, tid)
    assert (await cs_actions.correct_card(rig.deps, "cs", ln.id, (await rig.cards())[32])).done
    assert await write_memos_due(rig.deps) == 1  # claimed, and put back: its line is READY
    assert (await _shown(rig, tid))[2] == history
    assert await write_memos_due(rig.deps) == 0  # not due again before a few seconds
    rig.later(WAIT_S)
    await rig.cycle()
    memo, flag, after = await _shown(rig, tid)
    assert flag == GREEN and "已开通" in memo and len(after) == len(history) + 1
