"""``TaobaoClient``: the ``StorefrontPort`` over the TOP router protocol.

Each port method is one marketplace API (taobao-top.md §3) plus the rules the
protocol reference settles for this project: list windows of at most a day
paged from the last page backwards with every trade type named, fullinfo as
the final word on a trade, "already shipped" answers of ``dummy.send``
checked and reported as ``ALREADY_SHIPPED``, memos cut to 1000 UTF-8 bytes.
Signing, HTTP and error mapping live in ``transport``; wire parsing in
``wire``.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING

import aiohttp
import structlog

from adapters.taobao.listing import LIST_METHOD, list_pages
from adapters.taobao.messages import parse_confirmed, parse_consumed
from adapters.taobao.push import TmcPush
from adapters.taobao.signing import format_timestamp
from adapters.taobao.states import flag_of
from adapters.taobao.transport import Sleep, TopTransport
from adapters.taobao.wire import DATA_INVALID, parse_seller_flag, parse_shipping, parse_time, parse_trade
from bridge.core.errors import Permanent, Retryable
from bridge.core.trades import (
    SHIPPED_STATES,
    DeliveryOutcome,
    ListingRules,
    NoteRules,
    PushBatch,
    Severity,
    Trade,
    TradeSummary,
)
from bridge.ports import PushSource, StorefrontPort

_log = structlog.get_logger(__name__)

DEFAULT_TRADE_TYPES: tuple[str, ...] = (
    "fixed",  # one-price items: what the shop lists
    "auto_delivery",  # 自动发货
    "ec",  # 直冲 (direct top-up)
    "guarantee_trade",  # the query combo for fixed + auction
    "eticket",  # 电子凭证, in case cards are listed as e-vouchers
    "step",  # part of the gateway's default filter; kept so nothing the default showed is lost
)
"""Every trade type a virtual-goods shop may see; the gateway hides types not named."""

FULLINFO_FIELDS = ",".join(
    [
        *("tid", "tid_str", "status", "type", "buyer_nick", "buyer_open_uid", "created", "modified"),
        *("pay_time", "consign_time", "payment", "buyer_message", "seller_memo", "seller_flag"),
        *(f"orders.{f}" for f in ("oid", "oid_str", "sku_id", "outer_sku_id", "title", "num", "price")),
        *(f"orders.{f}" for f in ("payment", "status", "refund_status", "customization")),
    ]
)
LIST_FIELDS = "tid,status,modified,orders.oid,orders.oid_str,orders.refund_status"
"""Enough to tell a changed trade from one re-listed only because ``modified`` moved."""
MAX_WINDOW = timedelta(days=1)
MEMO_MAX_BYTES = 1000
NOTES = NoteRules(max_bytes=MEMO_MAX_BYTES)
LISTING = ListingRules(max_window=MAX_WINDOW)
"""``taobao.trades.sold.increment.get`` lists at most one day, complete as soon as it answers."""
"""A seller memo keeps at most 1000 UTF-8 bytes (``taobao.trade.memo.update``)."""
_RECHECK_SUB_CODES = frozenset(
    {"isv.logistics-dummy-service-error:B04", "isv.logistics-dummy-service-error:B55"}
)
_SHIPPED_SUB_CODE = "isv.logistics-dummy-service-error:B27"
_FEATURE_SEPARATORS = frozenset(",|;")
CONSUME_QUANTITY = (10, 200)
"""How many messages one consume may ask for (taobao-top.md §4.3)."""
CONFIRM_MAX_IDS = 200


def truncate_utf8(text: str, limit: int = MEMO_MAX_BYTES) -> str:
    """The longest prefix of ``text`` that fits ``limit`` UTF-8 bytes, never half a character."""
    return text.encode("utf-8")[:limit].decode("utf-8", errors="ignore")


def _ident_feature(codes: dict[str, list[str]] | None) -> str | None:
    """``identCode=<oid>:<code>,<code>|<oid>:...`` for dummy.send, or ``None``.

    A code may hold ``:`` (``serial:PIN``): only the first colon of an entry
    separates the oid. Codes are never put in messages: they may hold PINs.
    """
    parts = []
    for oid, values in sorted((codes or {}).items(), key=lambda kv: (len(kv[0]), kv[0])):  # by number
        for value in values:
            if not value or _FEATURE_SEPARATORS & set(value) or any(c.isspace() for c in value):
                raise Permanent(
                    f"a delivery code for oid {oid} is empty or holds a comma, '|', ';' or whitespace",
                    code="TAOBAO_DELIVERY_CODE_INVALID",
                )
        if values:
            parts.append(f"{oid}:{','.join(values)}")
    return "identCode=" + "|".join(parts) if parts else None


def _check_window(start: datetime, end: datetime) -> None:
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("a listing needs timezone-aware datetimes")
    if end < start:
        raise ValueError(f"window ends before it starts: {start.isoformat()} .. {end.isoformat()}")
    if end - start > MAX_WINDOW:
        raise ValueError(f"window longer than one day: {start.isoformat()} .. {end.isoformat()}")


DEFAULT_GROUP = "default"
"""TMC's system group: what consume and confirm read when ``group_name`` is left out."""


def _named(group: str) -> str | None:
    """``group_name`` as sent: left out for the default group. Consume's page says naming a group an
    app has not set up is an error, and not whether ``default`` counts (docs/storefronts/taobao-push.md);
    leaving it out is right either way."""
    return None if group == DEFAULT_GROUP else group


class TaobaoClient:
    """One seller's shop on a TOP-style marketplace; implements ``StorefrontPort``.

    ``http`` is owned by the caller. ``backoff_base_s``/``backoff_max_s`` shape
    the retry waits (a ``retry_after`` longer than ``backoff_max_s`` is raised
    to the caller instead of slept); ``sleep`` replaces ``asyncio.sleep``.
    """

    def __init__(
        self,
        http: aiohttp.ClientSession,
        *,
        url: str,
        app_key: str,
        app_secret: str,
        session_key: str,
        sign_method: str = "hmac-sha256",
        page_size: int = 50,
        trade_types: Sequence[str] = DEFAULT_TRADE_TYPES,
        timeout_s: float = 15.0,
        max_retries: int = 3,
        backoff_base_s: float = 0.5,
        backoff_max_s: float = 30.0,
        sleep: Sleep | None = None,
        tmc_group: str | None = None,
    ) -> None:
        if not 1 <= page_size <= 100:
            raise ValueError(f"page_size must be 1..100, got {page_size}")
        if not trade_types:
            raise ValueError("trade_types must name at least one trade type")
        self._top = TopTransport(
            http,
            url=url,
            app_key=app_key,
            app_secret=app_secret,
            session_key=session_key,
            sign_method=sign_method,
            timeout_s=timeout_s,
            max_retries=max_retries,
            backoff_base_s=backoff_base_s,
            backoff_max_s=backoff_max_s,
            sleep=sleep,
        )
        self._page_size = page_size
        self._types = ",".join(trade_types)
        self.push: PushSource | None = TmcPush(self, tmc_group) if tmc_group else None
        self.notes = NOTES
        self.listing = LISTING
        self.storefront = "taobao"
        self.delivers_codes = True  # dummy.send's feature=identCode=... carries them

    def __repr__(self) -> str:  # never show credentials
        return f"TaobaoClient(page_size={self._page_size}, types={self._types!r})"

    def list_pages(self, start: datetime, end: datetime) -> AsyncGenerator[list[TradeSummary], None]:
        """Every trade modified in ``[start, end]`` (≤ 1 day), a page at a time as it is read
        (``listing``: backwards, again until a pass finds nothing new)."""
        _check_window(start, end)
        query = {
            "fields": LIST_FIELDS,
            "type": self._types,
            "start_modified": format_timestamp(start),
            "end_modified": format_timestamp(end),
            "use_has_next": False,
        }
        return list_pages(partial(self._top.call, LIST_METHOD), query, self._page_size)

    async def get_trade(self, tid: str) -> Trade:
        """The full trade (``taobao.trade.fullinfo.get``)."""
        payload = await self._top.call("taobao.trade.fullinfo.get", {"tid": tid, "fields": FULLINFO_FIELDS})
        trade = parse_trade(payload)
        if trade.tid != tid:
            raise Permanent(f"trade {tid}: field tid: the answer is for trade {trade.tid}", code=DATA_INVALID)
        return trade

    async def deliver(self, tid: str, codes: dict[str, list[str]] | None = None) -> DeliveryOutcome:
        """Virtual delivery (``taobao.logistics.dummy.send``).

        ``codes`` maps an oid to the card serials the buyer redeems later; they
        travel as ``feature=identCode=...``. B27 means already shipped; B04 and
        B55 mean "wrong state", so the trade is re-read and counts as already
        shipped only when it is; otherwise the ``Permanent`` is raised. No
        answer raises ``Ambiguous``.
        """
        params = {"tid": tid, "feature": _ident_feature(codes)}
        try:
            payload = await self._top.call("taobao.logistics.dummy.send", params, write=True)
        except Permanent as exc:
            if exc.code == _SHIPPED_SUB_CODE:
                return DeliveryOutcome.ALREADY_SHIPPED
            if exc.code in _RECHECK_SUB_CODES:
                return await self._already_shipped(tid, exc)
            raise
        if not parse_shipping(tid, payload):
            raise Permanent(
                f"trade {tid}: dummy.send answered is_success=false", code="TAOBAO_DUMMY_SEND_FAILED"
            )
        return DeliveryOutcome.SHIPPED

    async def _already_shipped(self, tid: str, refusal: Permanent) -> DeliveryOutcome:
        trade = await self.get_trade(tid)
        if trade.state in SHIPPED_STATES:
            return DeliveryOutcome.ALREADY_SHIPPED
        raise Permanent(
            f"trade {tid} cannot be marked delivered in status {trade.platform_status}: {refusal.message}",
            code=refusal.code,
        )

    async def annotate(self, tid: str, note: str, severity: Severity | None) -> None:
        """Overwrite the seller memo (``taobao.trade.memo.update``, cut to 1000 UTF-8 bytes; empty
        clears it) and its flag: ``severity``'s colour (``adapters.taobao.states``).

        The method's ``flag`` is optional but documented as "默认值为0" (grey), so leaving it out
        may clear a person's colour: for ``None`` the flag is read first (fullinfo's
        ``seller_flag``) and sent back as it is.
        """
        flag = flag_of(severity) if severity is not None else await self._seller_flag(tid)
        text = truncate_utf8(note)
        params = {"tid": tid, "memo": text, "flag": flag, "reset": True if not text else None}
        await self._top.call("taobao.trade.memo.update", params, write=True)

    async def _seller_flag(self, tid: str) -> int:
        payload = await self._top.call("taobao.trade.fullinfo.get", {"tid": tid, "fields": "tid,seller_flag"})
        return parse_seller_flag(tid, payload)

    async def consume_messages(self, group: str, quantity: int) -> PushBatch:
        """Up to ``quantity`` (10..200) unconfirmed messages of ``group`` (``taobao.tmc.messages.consume``).

        A message that cannot be read is in ``unreadable`` (logged here), never raised.
        """
        low, high = CONSUME_QUANTITY
        if not low <= quantity <= high:
            raise ValueError(f"quantity must be {low}..{high}, got {quantity}")
        payload = await self._top.call(
            "taobao.tmc.messages.consume", {"group_name": _named(group), "quantity": quantity}
        )
        batch = parse_consumed(payload)
        for message_id, problem in batch.unreadable:
            _log.error("taobao_message_unreadable", message_id=message_id, problem=problem)
        return batch

    async def confirm_messages(self, group: str, message_ids: Sequence[str]) -> None:
        """Confirm messages by id (``taobao.tmc.messages.confirm``), 200 a call; they never return."""
        ids = list(dict.fromkeys(message_ids))
        for start in range(0, len(ids), CONFIRM_MAX_IDS):
            chunk = ",".join(str(i) for i in ids[start : start + CONFIRM_MAX_IDS])
            payload = await self._top.call(
                "taobao.tmc.messages.confirm", {"group_name": _named(group), "s_message_ids": chunk}
            )
            if not parse_confirmed(payload):
                raise Retryable("confirm answered is_success=false", code="TAOBAO_CONFIRM_FAILED")

    async def server_time(self) -> datetime:
        """The marketplace's clock (``taobao.time.get``), GMT+8 aware."""
        return parse_time(await self._top.call("taobao.time.get", {}))


if TYPE_CHECKING:  # mypy proves the client satisfies the port it is wired in as

    def _conforms(client: TaobaoClient) -> StorefrontPort:
        return client
