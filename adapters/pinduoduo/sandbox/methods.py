"""The gateway methods the sandbox serves, each checked as the platform documents it.

Each handler takes the book of orders, the controls (knobs, random streams,
counters) and the request's parameters, and returns the whole success answer
(with its ``*_response`` wrapper) or raises ``PddFault``: the incremental
list (window ≤ 30 minutes in UNIX seconds, inclusive, ``page_size`` 1–100,
newest first, three months' reach, with the list knobs' mischief), the order
detail, the virtual order's fields, delivery (shipped once; refused while
after-sales run), the seller's note (tag 1–5 with a name of ≤ 3 characters,
note ≤ 300 characters) and the clock.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from adapters.pinduoduo.sandbox.book import BookError, OrderBook, SandboxOrder
from adapters.pinduoduo.sandbox.controls import Controls
from adapters.pinduoduo.sandbox.render import PddFault, business, invalid, wire_order
from adapters.pinduoduo.signing import format_time

Params = Mapping[str, str]
_WINDOW_S = 30 * 60
_REACH = timedelta(days=90)
NOTE_MAX_CHARS = 300


def _integer(params: Params, name: str, default: int | None, low: int, high: int) -> int:
    text = params.get(name, "")
    if text == "" and default is not None:
        return default
    if not text.strip().lstrip("-").isdigit() or not low <= int(text) <= high:
        raise invalid(name, f"{name} must be an integer in {low}..{high}, got {text!r}")
    return int(text)


def _order(book: OrderBook, params: Params) -> SandboxOrder:
    order_sn = params.get("order_sn", "")
    if not order_sn:
        raise invalid("order_sn", "order_sn is required")
    try:
        return book.get(order_sn)
    except BookError:
        raise invalid("order_sn", "订单不属于当前店铺或订单不存在") from None


def _matching(book: OrderBook, controls: Controls, params: Params) -> list[SandboxOrder]:
    start = _integer(params, "start_updated_at", None, 0, 2**40)
    end = _integer(params, "end_updated_at", None, 0, 2**40)
    if end < start or end - start > _WINDOW_S:
        raise invalid("end_updated_at", "开始时间结束时间间距不超过 30 分钟 (0 ≤ end - start ≤ 1800 s)")
    order_status = _integer(params, "order_status", 5, 1, 5)
    refund_status = _integer(params, "refund_status", 5, 1, 5)
    oldest = book.now().replace(second=0) - _REACH
    delay_s = controls.knobs.visibility_delay_s
    # the pages of one listing ask the same question of an unchanged book: answer it once
    key = (book.generation, start, end, order_status, refund_status, oldest)
    if delay_s <= 0 and controls.last_listing is not None and controls.last_listing[0] == key:
        return controls.last_listing[1]
    rows = [
        o
        for o in book.listing(delay_s)
        if start <= int(o.updated.timestamp()) <= end
        and o.created >= oldest
        and order_status in (5, o.order_status)
        and refund_status in (5, o.refund_status)
    ]
    rows.sort(key=lambda o: (o.updated, o.order_sn), reverse=True)
    controls.last_listing = (key, rows)
    return rows


def _mischief(
    book: OrderBook, controls: Controls, rows: list[SandboxOrder], lo: int, hi: int
) -> list[SandboxOrder]:
    """The page ``rows[lo:hi]`` as the knobs spoil it: a dropped row, a row of the page before."""
    knobs, rng, stats = controls.knobs, controls.faults_rng, controls.stats
    page = rows[lo:hi]
    if page and knobs.partial_page_rate and rng.random() < knobs.partial_page_rate:
        page = page[:-1]
        stats.rows_dropped += 1
    if lo > 0 and knobs.duplicate_rate and rng.random() < knobs.duplicate_rate:
        page = [rows[lo - 1], *page]
        stats.rows_duplicated += 1
    return page


def increment_get(book: OrderBook, controls: Controls, params: Params) -> dict[str, Any]:
    page_no = _integer(params, "page", 1, 1, 10**6)
    size = _integer(params, "page_size", 100, 1, 100)
    rows = _matching(book, controls, params)
    lo, hi = (page_no - 1) * size, page_no * size
    page = _mischief(book, controls, rows, lo, hi)
    answer: dict[str, Any] = {"has_next": hi < len(rows), "order_sn_list": [wire_order(o) for o in page]}
    if params.get("use_has_next") != "true":
        answer["total_count"] = len(rows)
    if controls.knobs.shift_pages and rows[lo:hi]:
        book.edit(controls.faults_rng.choice(rows[lo:hi]).order_sn)
        controls.stats.pages_shifted += 1
    return {"order_sn_increment_get_response": answer}


def information_get(book: OrderBook, controls: Controls, params: Params) -> dict[str, Any]:
    return {"order_info_get_response": {"order_info": wire_order(_order(book, params))}}


def virtual_get(book: OrderBook, controls: Controls, params: Params) -> dict[str, Any]:
    order = _order(book, params)
    fields = {
        "order_sn": order.order_sn,
        "phone_number_chosen_by_user": order.recharge_account or "",
        "contact_phone": order.contact_phone or "",
        "id_card_name": "",
        "id_card_num": "",
    }
    return {"order_virtual_information_response": fields}


def _refuse_shipping(order: SandboxOrder, vague: bool) -> None:
    if order.order_status in (2, 3):
        if vague:
            raise PddFault(50001, "业务服务错误", None, "订单状态不允许该操作")
        raise business("isv.business-error:ORDER_SHIPPED", "订单已发货，请勿重复发货")
    if order.confirm_status != 1:
        raise business("isv.business-error:ORDER_NOT_CONFIRMED", "订单未成交，不能发货")
    if order.refund_status == 4:
        raise business("isv.business-error:ORDER_REFUNDED", "订单已退款，不能发货")
    if order.refund_status in (2, 3):
        raise business("isv.business-error:ORDER_IN_AFTER_SALES", "订单售后中，不能发货")


def online_send(book: OrderBook, controls: Controls, params: Params) -> dict[str, Any]:
    order = _order(book, params)
    logistics_id = _integer(params, "logistics_id", None, 1, 2**31)
    tracking = params.get("tracking_number", "")
    if not tracking:
        raise invalid("tracking_number", "tracking_number is required")
    order.send_calls += 1
    _refuse_shipping(order, controls.knobs.vague_already_shipped)
    book.ship(order, logistics_id, tracking)
    return {"logistics_online_send_response": {"is_success": True}}


def note_update(book: OrderBook, controls: Controls, params: Params) -> dict[str, Any]:
    order = _order(book, params)
    note = params.get("note", "")
    if len(note) > NOTE_MAX_CHARS:
        raise invalid("note", f"note is {len(note)} characters; at most {NOTE_MAX_CHARS}")
    if ("tag" in params) != ("tag_name" in params):
        raise invalid("tag", "tag and tag_name go together or not at all")
    tag = _integer(params, "tag", None, 1, 5) if "tag" in params else None
    if tag is not None and not 1 <= len(params["tag_name"]) <= 3:
        raise invalid("tag_name", "tag_name is 1 to 3 characters")
    book.note(order, note, tag)
    return {"response": {"success": True, "error_code": 0, "error_msg": ""}}


def time_get(book: OrderBook, controls: Controls, params: Params) -> dict[str, Any]:
    return {"time_get_response": {"time": format_time(book.now())}}


Handler = Callable[[OrderBook, Controls, Params], dict[str, Any]]

METHODS: dict[str, tuple[bool, Handler]] = {
    "pdd.order.number.list.increment.get": (True, increment_get),
    "pdd.order.information.get": (True, information_get),
    "pdd.order.virtual.information.get": (True, virtual_get),
    "pdd.logistics.online.send": (True, online_send),
    "pdd.order.note.update": (True, note_update),
    "pdd.time.get": (False, time_get),
}
"""Method name → (needs the shop's access_token, handler)."""
