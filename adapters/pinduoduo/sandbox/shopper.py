"""The sandbox's control endpoints: a buyer, the platform and an inspector over plain JSON.

Under ``/sandbox/``: place orders one at a time or in bulk (paid by default,
with the buyer's recharge account in the virtual order's fields), pay,
move an order's after-sales (``requested``, ``agreed``, ``success``,
``refused``, ``withdrawn``), edit one (bump ``updated_at``), read one or all,
read what was delivered (every order with its delivery count, so a harness
can tell duplicates and losses), the knobs and the counters. Bodies are
validated with pydantic: a bad body is a 400 with a message, an unknown order
a 404, a move the state does not allow a 409.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from adapters.pinduoduo.sandbox.book import BookError, NewItem, OrderBook
from adapters.pinduoduo.sandbox.controls import Controls
from adapters.pinduoduo.sandbox.render import dumps, inspect_order, iso
from bridge.core.money import yuan_to_fen

MAX_BULK = 10_000


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NewItemBody(_Body):
    outer_id: str = Field(min_length=1)
    goods_name: str = Field(min_length=1)
    price: str = Field(pattern=r"^\d{1,9}(\.\d{1,2})?$")
    quantity: int = Field(default=1, ge=1)

    def to_item(self) -> NewItem:
        return NewItem(self.outer_id, self.goods_name, yuan_to_fen(self.price), self.quantity)


class NewOrderBody(_Body):
    items: list[NewItemBody] = Field(min_length=1)
    recharge_account: str | None = None
    contact_phone: str | None = None
    buyer_memo: str | None = None
    pay: bool = True


class BulkBody(_Body):
    orders: list[NewOrderBody] = Field(min_length=1, max_length=MAX_BULK)


class RefundBody(_Body):
    outcome: Literal["requested", "agreed", "success", "refused", "withdrawn"]


def _json(data: object, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=dumps)


async def _body(request: web.Request) -> object:
    try:
        return await request.json()
    except ValueError:
        raise web.HTTPBadRequest(
            text=dumps({"error": "the body is not JSON"}), content_type="application/json"
        ) from None


Handler = Callable[[web.Request], Awaitable[web.Response]]


def _guarded(handler: Handler) -> Handler:
    """Turn validation and state errors into 400 / 404 / 409 JSON answers."""

    async def run(request: web.Request) -> web.Response:
        try:
            return await handler(request)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            return _json({"error": problems}, 400)
        except BookError as exc:
            return _json({"error": exc.message}, 404 if exc.kind == "not_found" else 409)

    return run


class ControlRoutes:
    """Handlers bound to one sandbox shop's book and controls."""

    def __init__(self, book: OrderBook, controls: Controls) -> None:
        self._book = book
        self._controls = controls

    def routes(self) -> list[web.RouteDef]:
        return [
            web.post("/sandbox/orders", _guarded(self.place)),
            web.post("/sandbox/orders/bulk", _guarded(self.bulk)),
            web.get("/sandbox/orders", _guarded(self.list_all)),
            web.get("/sandbox/orders/{sn}", _guarded(self.show)),
            web.post("/sandbox/orders/{sn}/pay", _guarded(self.pay)),
            web.post("/sandbox/orders/{sn}/refund", _guarded(self.refund)),
            web.post("/sandbox/orders/{sn}/edit", _guarded(self.edit)),
            web.get("/sandbox/deliveries", _guarded(self.deliveries)),
            web.get("/sandbox/stats", _guarded(self.stats)),
            web.get("/sandbox/knobs", _guarded(self.knobs)),
            web.post("/sandbox/knobs", _guarded(self.set_knobs)),
        ]

    def _place(self, body: NewOrderBody) -> dict[str, object]:
        order = self._book.place(
            [i.to_item() for i in body.items],
            account=body.recharge_account,
            phone=body.contact_phone,
            memo=body.buyer_memo,
        )
        if body.pay:
            self._book.pay(order.order_sn)
        return {"order_sn": order.order_sn, "sku_ids": [str(i.sku_id) for i in order.items]}

    async def place(self, request: web.Request) -> web.Response:
        return _json(self._place(NewOrderBody.model_validate(await _body(request))))

    async def bulk(self, request: web.Request) -> web.Response:
        body = BulkBody.model_validate(await _body(request))  # all checked before any is placed
        return _json({"orders": [self._place(new) for new in body.orders]})

    async def list_all(self, request: web.Request) -> web.Response:
        return _json({"orders": [inspect_order(o) for o in self._book]})

    async def show(self, request: web.Request) -> web.Response:
        return _json(inspect_order(self._book.get(request.match_info["sn"])))

    async def pay(self, request: web.Request) -> web.Response:
        return _json(inspect_order(self._book.pay(request.match_info["sn"])))

    async def refund(self, request: web.Request) -> web.Response:
        body = RefundBody.model_validate(await _body(request))
        return _json(inspect_order(self._book.refund(request.match_info["sn"], body.outcome)))

    async def edit(self, request: web.Request) -> web.Response:
        self._book.edit(request.match_info["sn"])
        return _json(inspect_order(self._book.get(request.match_info["sn"])))

    async def deliveries(self, request: web.Request) -> web.Response:
        """Every order with how often it was delivered (0, 1, or a duplicate's 2+) and when first."""
        rows = [
            {
                "order_sn": o.order_sn,
                "paid": o.confirm_status == 1,
                "refund_status": o.refund_status,
                "delivered": len(o.deliveries),
                "send_calls": o.send_calls,
                "first_delivered_at": iso(o.deliveries[0]["at"]) if o.deliveries else None,
                "paid_at": iso(o.pay_time),
            }
            for o in self._book
        ]
        return _json({"orders": rows})

    async def stats(self, request: web.Request) -> web.Response:
        return _json(self._controls.stats.to_json())

    async def knobs(self, request: web.Request) -> web.Response:
        return _json(self._controls.knobs.model_dump(mode="json"))

    async def set_knobs(self, request: web.Request) -> web.Response:
        changes = await _body(request)
        if not isinstance(changes, dict):
            return _json({"error": "knobs must be a JSON object"}, 400)
        return _json(self._controls.update(**changes).model_dump(mode="json"))
