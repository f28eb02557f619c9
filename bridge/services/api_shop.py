"""A channel client of the order API as a shop of storefront ``api``: its orders through the one pipeline.

The client's orders are already in the store (``api_orders``, taken by ``POST /api/v1/orders``), so
this storefront is no remote client: it reads them there, by the store's clock, and writes back
there. An order is a trade (tid: the client's order id; buyer: the client's name); its lines are
the body's lines in order, oid ``"1"``, ``"2"``... (ids that keep the request_ids' rule), the card
number as the line's ``customization`` (where the client's card rule reads it), a product code
given instead of a SKU as the line's ``product_code``. A refund asked for makes every line
``REFUNDED``: the pipeline then cancels what is not provisioned yet and sends the rest down the
reversal path, as for a marketplace's refund. Delivery records the time and the card codes in
one write, once (``ALREADY_SHIPPED`` after that); a note and its mark are kept for the client.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from datetime import datetime, timedelta

from bridge.core.api_orders import ApiLine, ApiOrderRecord
from bridge.core.errors import Permanent
from bridge.core.mapping import MappingSet
from bridge.core.trades import (
    DeliveryOutcome,
    ListingRules,
    NoteRules,
    OrderLine,
    OrderState,
    RefundState,
    Severity,
    Trade,
    TradeSummary,
)
from bridge.ports import ApiOrderStorePort, PushSource

__all__ = ["API_LISTING", "API_NOTES", "ApiShop"]

API_LISTING = ListingRules(max_window=timedelta(days=30))
"""The store is its own source: a long window, no lag behind the clock, no limit on reach."""
API_NOTES = NoteRules(max_chars=2000)
"""A note for the client (the callback and the console carry it): generous, in characters."""
_PAGE = 100


class ApiShop:
    """One channel client's orders (``[api.clients.NAME]``) as a ``StorefrontPort``."""

    storefront = "api"
    listing = API_LISTING
    notes = API_NOTES
    delivers_codes = True
    push: PushSource | None = None  # none: its orders are taken as posted, polling is the safety net

    def __init__(
        self,
        client: str,
        orders: ApiOrderStorePort,
        clock: Callable[[], datetime],
        mappings: Callable[[], MappingSet],
    ) -> None:
        self._client = client
        self._orders = orders
        self._clock = clock
        self._mappings = mappings  # the live mapping set, for the lines' titles

    async def list_pages(self, start: datetime, end: datetime) -> AsyncGenerator[list[TradeSummary], None]:
        after: tuple[datetime, str] | None = None
        while True:
            page = await self._orders.orders_modified(self._client, start, end, after, _PAGE)
            if not page:
                return
            yield [_summary(order) for order in page]
            if len(page) < _PAGE:
                return
            after = page[-1].modified_at, page[-1].order_id

    async def get_trade(self, tid: str) -> Trade:
        return self._trade(await self._order(tid))

    async def deliver(self, tid: str, codes: dict[str, list[str]] | None = None) -> DeliveryOutcome:
        if await self._orders.mark_delivered(self._client, tid, codes, self._clock()):
            return DeliveryOutcome.SHIPPED
        await self._order(tid)  # none at all: refused; else it was delivered before
        return DeliveryOutcome.ALREADY_SHIPPED

    async def annotate(self, tid: str, note: str, severity: Severity | None) -> None:
        mark = None if severity is None else severity.value
        if not await self._orders.annotate(self._client, tid, note, mark, self._clock()):
            raise Permanent(f"{self._client} has no order {tid}", code="API_ORDER_NOT_FOUND")

    async def server_time(self) -> datetime:
        return self._clock()

    async def _order(self, tid: str) -> ApiOrderRecord:
        order = await self._orders.order(self._client, tid)
        if order is None:
            raise Permanent(f"{self._client} has no order {tid}", code="API_ORDER_NOT_FOUND")
        return order

    def _trade(self, order: ApiOrderRecord) -> Trade:
        state, refund = _state(order), _refund(order)
        mapping = self._mappings()
        lines = tuple(
            _line(str(index), line, state, refund, mapping)
            for index, line in enumerate(order.order().lines, start=1)
        )
        return Trade(
            tid=order.order_id,
            state=state,
            buyer=self._client,
            created=order.received_at,
            modified=order.modified_at,
            payment_fen=sum(line.payment_fen for line in lines),
            lines=lines,
            paid_at=order.paid_at,
            shipped_at=order.delivered_at,
            note=order.note,
            note_severity=Severity(order.severity) if order.severity else Severity.NONE,
            kind="api",
            platform_status=state.value,
        )


def _state(order: ApiOrderRecord) -> OrderState:
    return OrderState.SHIPPED if order.delivered_at is not None else OrderState.PAID


def _refund(order: ApiOrderRecord) -> RefundState:
    return RefundState.REFUNDED if order.refund_requested_at is not None else RefundState.NONE


def _summary(order: ApiOrderRecord) -> TradeSummary:
    refund = _refund(order)
    refunds = tuple((str(index), refund) for index in range(1, len(order.order().lines) + 1))
    return TradeSummary(order.order_id, _state(order), order.modified_at, refunds)


def _line(oid: str, line: ApiLine, state: OrderState, refund: RefundState, mapping: MappingSet) -> OrderLine:
    return OrderLine(
        oid=oid,
        sku_code=line.sku,
        platform_sku_id=None,
        title=_title(line, mapping),
        quantity=line.quantity,
        price_fen=line.amount_fen // line.quantity,
        payment_fen=line.amount_fen,
        state=state,
        refund=refund,
        customization=line.card_no,
        product_code=line.product_code,
    )


def _title(line: ApiLine, mapping: MappingSet) -> str:
    """The SKU's title in the mapping, else its product's name in the catalogue, else the code."""
    rule = mapping.skus.get(line.sku) if line.sku else None
    if rule is not None and rule.title:
        return rule.title
    product = mapping.catalogue.products.get(rule.product_code if rule else line.product_code or "")
    return product.name if product is not None else line.sku or line.product_code or ""
