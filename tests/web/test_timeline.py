"""The timeline presenter: events in people's words, the engineers' fields folded away."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bridge.core.records import EventRecord
from bridge.web.i18n import Translator
from bridge.web.timeline import Field, actor_of, present

AT = datetime(2026, 3, 1, 16, 30, 5, tzinfo=UTC)  # 2026-03-02 00:30:05 in China
ZH = Translator("zh", AT)
EN = Translator("en", AT)


def _event(kind: str, detail: Any = None, actor: str = "demo:24481", **more: Any) -> EventRecord:
    fields = {"oid": 42, "from_state": None, "to_state": None, "reason": None, **more}
    return EventRecord(at=AT, actor=actor, kind=kind, detail=detail, **fields)


def _labels(fields: tuple[Field, ...]) -> dict[str, str]:
    return {f.label: f.value for f in fields}


def test_a_received_line_reads_as_chinese_labels_with_yuan() -> None:
    [entry] = present(
        ZH,
        [_event("received", {"sku": "TV-RC-0100", "quantity": 1, "payment_fen": 1250}, to_state="RECEIVED")],
    )
    assert (entry.at, entry.what) == ("2026-03-02 00:30:05", "收到订单")
    assert (entry.oid, entry.change) == ("42", "已接收")
    assert _labels(entry.fields) == {"商家编码": "TV-RC-0100", "数量": "1", "实付": "¥12.50"}
    assert entry.technical == ()


def test_a_submit_shows_the_operation_in_words_and_keeps_the_raw_payload_for_engineers() -> None:
    payload = {"kind": "recharge", "card_no": "************5678", "amount_fen": 15000}
    detail = {"request_id": "main:1:42:0", "part": 0, "payload": payload}
    [entry] = present(ZH, [_event("submit", detail, from_state="READY", to_state="SUBMITTED")])
    assert entry.what == "提交计费系统" and entry.change == "待开通 → 开通中"
    assert _labels(entry.fields) == {"操作": "充值", "智能卡号": "****5678", "充值金额": "¥150.00"}
    technical = _labels(entry.technical)
    assert technical["request_id"] == "main:1:42:0"
    assert technical["payload"] == '{"amount_fen": 15000, "card_no": "************5678", "kind": "recharge"}'


def test_the_reason_comes_first_and_error_texts_go_to_the_details() -> None:
    detail = {"message": "Subscriber not found: SUBSCRIBER_NOT_FOUND", "request_id": "r"}
    [entry] = present(ZH, [_event("exception", detail, reason="SUBSCRIBER_NOT_FOUND", to_state="EXCEPTION")])
    assert entry.fields[0].label == "原因" and "智能卡号不存在" in entry.fields[0].value
    assert "message" in _labels(entry.technical) and all("Subscriber" not in f.value for f in entry.fields)


def test_times_yes_no_and_named_codes_are_shown_as_people_read_them() -> None:
    detail = {"next_at": "2026-03-01T16:31:05+00:00", "counted": True, "error": "timeout"}
    refund = {"refund_status": "WAIT_SELLER_AGREE", "closed": False}
    retry, held = present(ZH, [_event("retry_later", detail), _event("refund", refund)])
    assert _labels(retry.fields) == {"下次尝试": "2026-03-02 00:31:05", "计入重试次数": "是"}
    assert _labels(held.fields) == {"退款状态": "买家申请退款，等待卖家同意", "交易关闭": "否"}


def test_the_daemon_is_the_system_and_people_are_named() -> None:
    assert actor_of(ZH, "demo:24481") == actor_of(ZH, "host-7:9f2c1a0b") == actor_of(ZH, "")
    assert actor_of(ZH, "demo:24481").name == "系统" and not actor_of(ZH, "demo:24481").person
    assert (actor_of(ZH, "cs1").name, actor_of(ZH, "cs1").person) == ("cs1", True)
    assert actor_of(ZH, "cli:ops").name == "ops（命令行）"
    assert actor_of(EN, "demo:1").name == "System"


def test_an_unknown_kind_or_key_never_shows_its_code_outside_the_details() -> None:
    [entry] = present(ZH, [_event("brand_new_kind", {"shiny_field": [1, 2]})])
    assert entry.what == "其他事件" and entry.fields == ()
    assert _labels(entry.technical) == {"kind": "brand_new_kind", "shiny_field": "[1, 2]"}


def test_english_mode_uses_the_english_labels() -> None:
    [entry] = present(EN, [_event("received", {"payment_fen": 100}, to_state="RECEIVED")])
    assert (entry.what, _labels(entry.fields)) == ("Order received", {"Paid": "¥1.00"})
