"""The TOP methods the sandbox serves, each checked as the gateway documents.

Each handler takes the book of trades, the controls (knobs, random streams,
counters) and a checked ``Call``, and returns the success payload (without
the ``*_response`` wrapper) or raises ``TopFault``:
``increment.get`` (window ≤ 1 day, page_size 1–100, modified desc, inclusive
bounds, ``type`` filter, ``use_has_next``), ``fullinfo.get``,
``logistics.dummy.send`` (B01/B04/B27), ``trade.memo.update`` (flag 0–5,
optional, grey when left out as documented; memo ≤ 1000 bytes) and ``time.get``;
the message service's consume/confirm pair lives in ``tmc``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from adapters.taobao.sandbox.book import SHIPPABLE, BookError, SandboxTrade, TradeBook
from adapters.taobao.sandbox.controls import Controls
from adapters.taobao.sandbox.protocol import Call, invalid, isv
from adapters.taobao.sandbox.render import FieldSpec, wire_trade
from adapters.taobao.sandbox.statuses import CLOSED_STATUSES, SHIPPED_STATUSES
from adapters.taobao.sandbox.tmc import confirm, consume
from adapters.taobao.signing import format_timestamp

DEFAULT_QUERY_TYPES = "guarantee_trade,auto_delivery,ec,cod,step"
_TYPE_COMBOS = {"guarantee_trade": {"fixed", "auction"}}
_STATUS_COMBOS = {
    "ALL_WAIT_PAY": {"WAIT_BUYER_PAY", "TRADE_NO_CREATE_PAY"},
    "ALL_CLOSED": set(CLOSED_STATUSES),
}
_HORIZON = timedelta(days=90)
_DUMMY = "isv.logistics-dummy-service-error"


def _types(call: Call) -> set[str]:
    names = {t.strip() for t in (call.get("type") or DEFAULT_QUERY_TYPES).split(",") if t.strip()}
    return names.union(*(_TYPE_COMBOS.get(n, set()) for n in names))


def _statuses(call: Call) -> set[str] | None:
    status = call.get("status")
    return None if status is None else _STATUS_COMBOS.get(status, {status})


def _second(trade: SandboxTrade) -> datetime:
    return trade.modified.replace(microsecond=0)


def shift(book: TradeBook, controls: Controls, tid: int) -> None:
    """Bump one trade's ``modified`` as a busy shop would (the ``shift_pages`` knob)."""
    book.changed(book.get(tid))
    controls.stats.pages_shifted += 1


def _matching(book: TradeBook, controls: Controls, call: Call) -> list[SandboxTrade]:
    start, end = call.time("start_modified"), call.time("end_modified")
    if end < start:
        raise invalid("end_modified", "end_modified must not be before start_modified")
    if end - start > timedelta(days=1):
        raise isv(
            "isv.invalid-parameter:end_modified", "开始和结束时间跨度不能超过一天 (window over one day)"
        )
    types, statuses = _types(call), _statuses(call)
    oldest = book.now().replace(second=0, microsecond=0) - _HORIZON
    delay_s = controls.knobs.visibility_delay_s
    # the pages of one listing ask the same question of an unchanged book: answer it once (a
    # backlog of 100,000 trades would otherwise be filtered and sorted again for each page)
    key = (book.generation, start, end, frozenset(types), statuses and frozenset(statuses), oldest)
    if delay_s <= 0 and controls.last_listing is not None and controls.last_listing[0] == key:
        return controls.last_listing[1]
    rows = [
        t
        for t in book.listing(delay_s)
        if start <= _second(t) <= end
        and t.type in types
        and (statuses is None or t.status in statuses)
        and t.created >= oldest
    ]
    rows.sort(key=lambda t: (_second(t), t.tid), reverse=True)
    controls.last_listing = (key, rows)
    return rows


def increment_get(book: TradeBook, controls: Controls, call: Call) -> dict[str, Any]:
    spec = FieldSpec.parse(call.require("fields"))
    page_no = call.integer("page_no", 1, 1, 10**6) or 1
    page_size = call.integer("page_size", 40, 1, 100) or 40
    rows = _matching(book, controls, call)
    page = rows[(page_no - 1) * page_size : page_no * page_size]
    payload: dict[str, Any] = {"has_next": page_no * page_size < len(rows)}
    if not call.flag("use_has_next"):
        payload["total_results"] = len(rows)
    if page:
        trades = [wire_trade(t, spec, simplify=call.simplify, full=False) for t in page]
        payload["trades"] = trades if call.simplify else {"trade": trades}
    if controls.knobs.shift_pages and page:
        shift(book, controls, controls.faults_rng.choice(page).tid)
    return payload


def _trade(book: TradeBook, call: Call) -> SandboxTrade:
    tid = call.id("tid")
    try:
        return book.get(tid)
    except BookError:
        raise isv("isv.trade-not-exist", f"交易不存在 (no trade {tid})") from None


def fullinfo_get(book: TradeBook, controls: Controls, call: Call) -> dict[str, Any]:
    spec = FieldSpec.parse(call.require("fields"))
    trade = _trade(book, call)
    return {"trade": wire_trade(trade, spec, simplify=call.simplify, full=True)}


def _check_feature(trade: SandboxTrade, feature: str | None) -> None:
    """``identCode=<oid>:<code>,<code>|...``; keys must be the trade's oids (or its tid)."""
    if feature is None:
        return
    keys = {trade.tid} | {line.oid for line in trade.lines}
    for part in feature.split(";"):
        name, _, value = part.partition("=")
        if name not in ("identCode", "machineCode") or not value:
            raise invalid("feature", f"unknown feature part {part!r}")
        for entry in value.split("|"):
            oid, _, codes = entry.partition(":")
            if not oid.isdigit() or int(oid) not in keys or not all(codes.split(",")):
                raise invalid("feature", f"bad {name} entry {entry!r} for trade {trade.tid}")


def dummy_send(book: TradeBook, controls: Controls, call: Call) -> dict[str, Any]:
    tid = call.id("tid")
    try:
        trade = book.get(tid)
    except BookError:
        raise isv(f"{_DUMMY}:B01", "订单不存在 (trade not found)") from None
    trade.dummy_send_calls += 1
    if trade.status in SHIPPED_STATUSES:
        raise isv(f"{_DUMMY}:B27", "已经生成发货单的订单不能发货 (already shipped)")
    if trade.status not in SHIPPABLE:
        raise isv(f"{_DUMMY}:B04", f"订单状态不正确 (trade is {trade.status})")
    feature = call.get("feature")
    _check_feature(trade, feature)
    book.ship(trade, feature)
    return {"shipping": {"is_success": True}}


def memo_update(book: TradeBook, controls: Controls, call: Call) -> dict[str, Any]:
    trade = _trade(book, call)
    flag = call.integer("flag", 0, 0, 5)  # optional, "默认值为0": left out, the flag turns grey
    memo = call.get("memo")
    if memo is not None and len(memo.encode("utf-8")) > 1000:
        raise invalid("memo", f"memo is {len(memo.encode('utf-8'))} bytes; at most 1000")
    book.update_memo(trade, memo, flag, reset=call.flag("reset"))
    return {"trade": {"tid": trade.tid, "modified": format_timestamp(trade.modified)}}


def time_get(book: TradeBook, controls: Controls, call: Call) -> dict[str, Any]:
    return {"time": format_timestamp(book.now())}


Handler = Callable[[TradeBook, Controls, Call], dict[str, Any]]

METHODS: dict[str, tuple[bool, Handler]] = {
    "taobao.trades.sold.increment.get": (True, increment_get),
    "taobao.trade.fullinfo.get": (True, fullinfo_get),
    "taobao.logistics.dummy.send": (True, dummy_send),
    "taobao.trade.memo.update": (True, memo_update),
    "taobao.time.get": (False, time_get),
    "taobao.tmc.messages.consume": (False, consume),  # app-scoped: no seller session
    "taobao.tmc.messages.confirm": (False, confirm),
}
"""Method name → (needs a session, handler)."""
