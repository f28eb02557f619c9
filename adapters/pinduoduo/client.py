"""``PinduoduoClient``: the storefront port over the Pinduoduo open platform's gateway.

Each port method is one or two platform methods (docs/storefronts/pinduoduo.md):
the incremental order list in 30-minute windows read backwards (``listing``),
the order detail plus the virtual order's own fields folded into each line's
``customization``, delivery by ``pdd.logistics.online.send`` with "already
shipped" checked and reported as ``ALREADY_SHIPPED``, the seller's note with a
colour tag for the severity, and the platform's clock. No push: polling alone.
Signing, HTTP and error mapping live in ``transport``; wire parsing in ``wire``.
"""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING

import aiohttp
import structlog

from adapters.pinduoduo.classify import ALREADY_SHIPPED, INVALID_PARAMS
from adapters.pinduoduo.listing import (
    LIST_METHOD,
    MAX_PAGE_SIZE,
    RULES,
    check_reach,
    list_window,
    split_windows,
    window_query,
)
from adapters.pinduoduo.signing import from_epoch
from adapters.pinduoduo.states import tag_for
from adapters.pinduoduo.transport import Clock, PddTransport, Sleep
from adapters.pinduoduo.wire import (
    parse_note_updated,
    parse_order,
    parse_server_time,
    parse_shipped,
    parse_virtual,
)
from bridge.core.errors import Permanent
from bridge.core.trades import SHIPPED_STATES, DeliveryOutcome, NoteRules, Severity, Trade, TradeSummary
from bridge.ports.storefront import PushSource, StorefrontPort

_log = structlog.get_logger(__name__)

NOTE_MAX_CHARS = 300
"""The longest seller note sent (an assumption: the platform documents none; §5)."""


class PinduoduoClient:
    """One seller's shop on Pinduoduo; implements ``StorefrontPort``.

    ``http`` is owned by the caller. ``logistics_id`` is the platform's
    logistics company id the shop delivers virtual orders with;
    ``backoff_base_s``/``backoff_max_s`` shape the retry waits; ``sleep``
    replaces ``asyncio.sleep`` and ``clock`` ``time.time`` (the request timestamp).
    """

    storefront = "pinduoduo"
    listing = RULES
    notes = NoteRules(max_chars=NOTE_MAX_CHARS)
    delivers_codes = False  # the virtual delivery carries no card codes (docs/storefronts/pinduoduo.md)
    push: PushSource | None = None

    def __init__(
        self,
        http: aiohttp.ClientSession,
        *,
        url: str,
        client_id: str,
        client_secret: str,
        access_token: str,
        logistics_id: int,
        page_size: int = MAX_PAGE_SIZE,
        timeout_s: float = 15.0,
        max_retries: int = 3,
        backoff_base_s: float = 0.5,
        backoff_max_s: float = 30.0,
        sleep: Sleep | None = None,
        clock: Clock | None = None,
    ) -> None:
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be 1..{MAX_PAGE_SIZE}, got {page_size}")
        self._gateway = PddTransport(
            http,
            url=url,
            client_id=client_id,
            client_secret=client_secret,
            access_token=access_token,
            timeout_s=timeout_s,
            max_retries=max_retries,
            backoff_base_s=backoff_base_s,
            backoff_max_s=backoff_max_s,
            sleep=sleep,
            clock=clock,
        )
        self._clock: Clock = clock or time.time
        self._page_size = page_size
        self._logistics_id = logistics_id

    def __repr__(self) -> str:  # never show credentials
        return f"PinduoduoClient(page_size={self._page_size}, logistics_id={self._logistics_id})"

    async def list_pages(self, start: datetime, end: datetime) -> AsyncGenerator[list[TradeSummary], None]:
        """Every order changed in ``[start, end]``, a page at a time as it is read (30-minute
        windows, each read backwards until a pass finds nothing new; an order once per read)."""
        windows = split_windows(start, end)
        check_reach(start, from_epoch(int(self._clock())))
        handed: dict[str, tuple[datetime, str]] = {}
        call = partial(self._gateway.call, LIST_METHOD)
        for low, high in windows:
            async for page in list_window(call, window_query(low, high), self._page_size, handed):
                yield page

    async def get_trade(self, tid: str) -> Trade:
        """The order (``pdd.order.information.get``) with each line's ``customization`` from the
        virtual order's fields (``pdd.order.virtual.information.get``)."""
        order = parse_order(tid, await self._gateway.call("pdd.order.information.get", {"order_sn": tid}))
        return order.trade(await self._virtual_fields(tid))

    async def _virtual_fields(self, tid: str) -> str | None:
        try:
            payload = await self._gateway.call("pdd.order.virtual.information.get", {"order_sn": tid})
        except Permanent as exc:
            if exc.code != INVALID_PARAMS:
                raise
            _log.info("pinduoduo_no_virtual_fields", tid=tid, code=exc.code)
            return None  # not a virtual order: the bridge finds no card and a person decides
        return parse_virtual(tid, payload).customization()

    async def deliver(self, tid: str, codes: dict[str, list[str]] | None = None) -> DeliveryOutcome:
        """Virtual delivery (``pdd.logistics.online.send``): "already shipped" answers, and any
        refusal of an order the platform shows shipped, are ``ALREADY_SHIPPED``.

        The method carries no card codes (its ``feature`` takes device serials only), so
        ``codes`` for any line are refused with ``Permanent`` before anything is sent.
        """
        if codes and any(codes.values()):
            raise Permanent(
                f"order {tid}: Pinduoduo's delivery carries no card codes; deliver them to the buyer "
                "another way and mark the order by hand",
                code="PDD_DELIVERY_CODES_UNSUPPORTED",
            )
        params = {"order_sn": tid, "logistics_id": self._logistics_id, "tracking_number": tid}
        try:
            payload = await self._gateway.call("pdd.logistics.online.send", params, write=True)
        except Permanent as exc:
            if exc.code == ALREADY_SHIPPED:
                return DeliveryOutcome.ALREADY_SHIPPED
            return await self._already_shipped(tid, exc)
        if not parse_shipped(tid, payload):
            raise Permanent(f"order {tid}: online.send answered is_success=false", code="PDD_SEND_FAILED")
        return DeliveryOutcome.SHIPPED

    async def _already_shipped(self, tid: str, refusal: Permanent) -> DeliveryOutcome:
        order = parse_order(tid, await self._gateway.call("pdd.order.information.get", {"order_sn": tid}))
        if order.summary().state in SHIPPED_STATES:
            return DeliveryOutcome.ALREADY_SHIPPED
        raise refusal

    async def annotate(self, tid: str, note: str, severity: Severity | None) -> None:
        """Overwrite the seller's note (``pdd.order.note.update``), cut to ``notes``, with the
        severity's colour tag; ``Severity.NONE`` and ``None`` send no tag (§5)."""
        params: dict[str, object] = {"order_sn": tid, "note": note[:NOTE_MAX_CHARS]}
        if (tag := tag_for(severity)) is not None:
            params["tag"], params["tag_name"] = tag
        success, why = parse_note_updated(
            tid, await self._gateway.call("pdd.order.note.update", params, write=True)
        )
        if not success:
            raise Permanent(f"order {tid}: the note was refused: {why}", code="PDD_NOTE_REFUSED")

    async def server_time(self) -> datetime:
        """The platform's clock (``pdd.time.get``), GMT+8 aware."""
        return parse_server_time(await self._gateway.call("pdd.time.get", {}))


if TYPE_CHECKING:  # mypy proves the client satisfies the port it is wired in as

    def _conforms(client: PinduoduoClient) -> StorefrontPort:
        return client
