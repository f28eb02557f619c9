"""The seller memo follows the lines: sections per line, CS's text kept, the flag rule. Pure tables."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bridge.core.memos import follow, line_of_key, note_for, tails
from bridge.core.records import LineRecord
from bridge.core.states import LineState
from bridge.core.trades import NoteRules, Severity

S = LineState
AT = datetime(2026, 12, 1, 2, 32, tzinfo=UTC)  # 12-01 10:32 in China
OID = "3100000000123456"
OTHER = "3100000000123457"
TAOBAO = NoteRules(max_bytes=1000)  # a seller memo's limit on Taobao


def rec(state: LineState, oid: str = OID, reason: str | None = None, refund: str = "none") -> LineRecord:
    return LineRecord(
        id=1, trade_id=1, shop="main", tid="31", oid=oid, outer_sku_id="TV-RC-0100", title="t",
        quantity=1, price_fen=10000, payment_fen=10000, refund_status=refund, state=state,
        attempts=0, reason=reason, updated_at=AT,
    )  # fmt: skip


RED = "[自动发货]子单…123456：智能卡号不存在，请联系买家核对卡号。请到客服台处理"


def test_a_new_exception_gets_a_red_section_after_cs_text() -> None:
    """CS's text stays first and verbatim; the line's reason and "请到客服台处理" follow, red."""
    got = follow("客服：已电话联系", Severity.NONE, [rec(S.EXCEPTION, reason="SUBSCRIBER_NOT_FOUND")], TAOBAO)
    assert (got.memo, got.flag) == (f"客服：已电话联系\n{RED}", Severity.ACT)


@pytest.mark.parametrize(
    ("line", "note"),
    [
        (rec(S.DELIVERED), "已开通 12-01 10:32"),
        (rec(S.APPLIED), "已开通 12-01 10:32"),
        (rec(S.RESOLVED), "客服已处理 12-01 10:32"),
        (rec(S.CANCELLED, reason="REFUNDED"), "已退款，未充值"),
        (rec(S.CANCELLED, reason="REFUND_BY_CS", refund="refunded"), "已退款，未充值"),
        (rec(S.REVERSED), "已退款冲正 12-01 10:32"),
    ],
)
def test_a_settled_line_replaces_its_section_in_place_and_turns_the_flag_green(
    line: LineRecord, note: str
) -> None:
    """The reason is gone, the short note stands where the section stood, CS's text around it kept."""
    memo = f"第一行\n{RED}\n最后一行 CS"
    got = follow(memo, Severity.ACT, [line], TAOBAO)
    assert got.memo == f"第一行\n[自动发货]子单…123456：{note}\n最后一行 CS"
    assert got.flag is Severity.DONE


def test_the_earlier_section_form_is_recognised_and_replaced() -> None:
    old = f"[自动发货] 子订单{OID}：智能卡号不存在，请联系买家核对卡号"
    got = follow(f"CS 备注\n{old}", Severity.ACT, [rec(S.DELIVERED)], TAOBAO)
    assert got.memo == "CS 备注\n[自动发货]子单…123456：已开通 12-01 10:32"


def test_a_trade_stays_red_while_one_line_needs_cs() -> None:
    """Two lines, one settled, one still in EXCEPTION: red until that one is settled too."""
    lines = [rec(S.DELIVERED), rec(S.EXCEPTION, OTHER, "CARD_MISSING")]
    memo = f"{RED}\n[自动发货]子单…123457：买家留言中没有智能卡号，请联系买家。请到客服台处理"
    assert follow(memo, Severity.ACT, lines, TAOBAO).flag is Severity.ACT
    settled = [rec(S.DELIVERED), rec(S.RESOLVED, OTHER)]
    assert follow(memo, Severity.ACT, settled, TAOBAO).flag is Severity.DONE


@pytest.mark.parametrize(
    ("flag", "lines", "expected"),
    [
        (None, [rec(S.EXCEPTION, reason="CARD_MISSING")], None),
        (None, [rec(S.DELIVERED)], None),
        (Severity.DONE, [rec(S.EXCEPTION, reason="CARD_MISSING")], Severity.ACT),
        (Severity.ACT, [rec(S.REVERSAL_PENDING)], Severity.WATCH),
        (Severity.ACT, [rec(S.CANCELLED, reason="REFUND_BY_CS")], Severity.WATCH),
        (Severity.ACT, [rec(S.READY)], Severity.ACT),  # fixed, still moving: undecided, kept
        (Severity.NONE, [rec(S.READY)], Severity.NONE),  # no section, nothing to say
    ],
)
def test_the_flag_rule(flag: Severity | None, lines: list[LineRecord], expected: Severity | None) -> None:
    """ACT while a line needs CS, WATCH for a waiting refund, DONE when settled; a person's mark kept."""
    memo = RED if lines[0].state is not S.READY or flag is Severity.ACT else None
    assert follow(memo, flag, lines, TAOBAO).flag is expected


def test_a_line_still_moving_keeps_its_section_as_written() -> None:
    assert follow(f"x\n{RED}", Severity.ACT, [rec(S.SUBMITTED)], TAOBAO).memo == f"x\n{RED}"


def test_lines_that_never_needed_cs_get_no_section() -> None:
    got = follow("CS", Severity.NONE, [rec(S.DELIVERED), rec(S.HELD, OTHER)], TAOBAO)
    assert (got.memo, got.flag) == ("CS", Severity.NONE)


def test_tag_digits_grow_until_the_trade_s_lines_differ() -> None:
    assert tails([OID, OTHER]) == {OID: "123456", OTHER: "123457"}
    assert tails(["10000123456", "20000123456"]) == {
        "10000123456": "10000123456",
        "20000123456": "20000123456",
    }
    assert tails(["42"]) == {"42": "42"}


def test_over_the_limit_the_bridge_gives_way_before_cs_text() -> None:
    """A settled section is dropped, then reasons shortened; CS's text is cut only after, oldest first."""
    cs = "客" * 300  # 900 bytes
    lines = [rec(S.DELIVERED), rec(S.EXCEPTION, OTHER, "SUBSCRIBER_NOT_FOUND")]
    memo = f"{cs}\n{RED}"
    got = follow(memo, Severity.ACT, lines, TAOBAO)
    assert got.memo.startswith(cs) and "子单…123456" not in got.memo
    assert got.memo.endswith("[自动发货]子单…123457：需人工处理，请到客服台处理")
    assert len(got.memo.encode()) <= 1000
    huge = "旧" * 200 + "新" * 200
    cut = follow(huge, Severity.NONE, [rec(S.EXCEPTION, reason="CARD_MISSING")], TAOBAO).memo
    assert len(cut.encode()) <= 1000 and not cut.startswith("旧" * 200)
    assert cut.endswith("新" * 200 + "\n[自动发货]子单…123456：需人工处理，请到客服台处理")


def test_a_storefront_counting_characters_gets_a_memo_of_that_many() -> None:
    """The limit is the storefront's: at 60 characters CS's oldest text is cut, the section kept."""
    cs = "旧" * 40 + "新" * 30
    got = follow(cs, Severity.NONE, [rec(S.EXCEPTION, reason="CARD_MISSING")], NoteRules(max_chars=60)).memo
    assert len(got) == 60 and got.endswith("[自动发货]子单…123456：需人工处理，请到客服台处理")
    assert got.startswith("新" * 30 + "\n")


def test_note_for_an_exception_names_the_reason() -> None:
    assert note_for(rec(S.EXCEPTION, reason="CARD_MISSING")).text.startswith("买家留言中没有智能卡号")


@pytest.mark.parametrize(
    ("key", "oid"),
    [
        ("2001:CARD_MISSING", "2001"),
        ("refund:2001", "2001"),
        ("cs-refund:2001", "2001"),
        ("2001:left:9", "2001"),
    ],
)
def test_line_of_key(key: str, oid: str) -> None:
    assert line_of_key(key) == oid
