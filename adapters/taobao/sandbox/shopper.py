"""The sandbox's shopper and inspection endpoints (JSON in, JSON out).

What a buyer and the platform do (place, pay, refund), what a test or the
demo inspects (trades, stats) and the knobs, over plain HTTP under
``/sandbox/``. Bodies are validated with pydantic; a bad body is a 400 with a
message, an unknown trade a 404, a move the state does not allow a 409.
The routes hold the book of trades and the controls (knobs and counters),
nothing else of the sandbox.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from adapters.taobao.sandbox.book import BookError, NewLine, TradeBook
from adapters.taobao.sandbox.controls import Controls
from adapters.taobao.sandbox.render import dumps, inspect_trade
from bridge.core.money import yuan_to_fen


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _yuan(value: object) -> object:
    if value is not None:
        yuan_to_fen(str(value))  # raises ValueError naming the text
    return value


class NewLineBody(_Body):
    outer_sku_id: str = Field(min_length=1)
    title: str = Field(min_length=1)
    price: str
    quantity: int = Field(ge=1)
    payment: str | None = None
    customization: str | None = None

    _check_money = field_validator("price", "payment")(_yuan)

    def to_line(self) -> NewLine:
        price_fen = yuan_to_fen(self.price)
        payment_fen = yuan_to_fen(self.payment) if self.payment is not None else price_fen * self.quantity
        return NewLine(
            self.outer_sku_id, self.title, price_fen, self.quantity, payment_fen, self.customization
        )


class NewTradeBody(_Body):
    buyer_nick: str = Field(min_length=1)
    buyer_message: str | None = None
    type: str = "fixed"
    lines: list[NewLineBody] = Field(min_length=1)


class RefundBody(_Body):
    oid: int
    outcome: Literal["requested", "success", "closed"]


def _json(data: object, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=dumps)


def _error(status: int, message: str) -> web.Response:
    return _json({"error": message}, status)


async def _body(request: web.Request) -> object:
    try:
        return await request.json()
    except ValueError:
        raise web.HTTPBadRequest(
            text=dumps({"error": "the body is not JSON"}), content_type="application/json"
        ) from None


def _tid(request: web.Request) -> int:
    text = request.match_info["tid"]
    if not text.isdigit():
        raise web.HTTPNotFound(text=dumps({"error": f"no trade {text}"}), content_type="application/json")
    return int(text)


Handler = Callable[[web.Request], Awaitable[web.Response]]


def _guarded(handler: Handler) -> Handler:
    """Turn validation and state errors into 400 / 404 / 409 JSON answers."""

    async def run(request: web.Request) -> web.Response:
        try:
            return await handler(request)
        except ValidationError as exc:
            return _error(400, "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()))
        except BookError as exc:
            return _error(404 if exc.kind == "not_found" else 409, exc.message)

    return run


class ShopperRoutes:
    """Handlers bound to one sandbox shop's book and controls."""

    def __init__(self, book: TradeBook, controls: Controls) -> None:
        self._book = book
        self._controls = controls

    def routes(self) -> list[web.RouteDef]:
        return [
            web.post("/sandbox/trades", _guarded(self.create)),
            web.get("/sandbox/trades", _guarded(self.list_all)),
            web.get("/sandbox/trades/{tid}", _guarded(self.show)),
            web.post("/sandbox/trades/{tid}/pay", _guarded(self.pay)),
            web.post("/sandbox/trades/{tid}/refund", _guarded(self.refund)),
            web.get("/sandbox/stats", _guarded(self.stats)),
            web.get("/sandbox/knobs", _guarded(self.knobs)),
            web.post("/sandbox/knobs", _guarded(self.set_knobs)),
        ]

    async def create(self, request: web.Request) -> web.Response:
        body = NewTradeBody.model_validate(await _body(request))
        lines = [line.to_line() for line in body.lines]
        trade = self._book.create(body.buyer_nick, body.buyer_message, body.type, lines)
        return _json({"tid": trade.tid, "oids": [line.oid for line in trade.lines]})

    async def list_all(self, request: web.Request) -> web.Response:
        return _json({"trades": [inspect_trade(t) for t in self._book]})

    async def show(self, request: web.Request) -> web.Response:
        return _json(inspect_trade(self._book.get(_tid(request))))

    async def pay(self, request: web.Request) -> web.Response:
        return _json(inspect_trade(self._book.pay(_tid(request))))

    async def refund(self, request: web.Request) -> web.Response:
        tid = _tid(request)
        body = RefundBody.model_validate(await _body(request))
        return _json(inspect_trade(self._book.refund(tid, body.oid, body.outcome)))

    async def stats(self, request: web.Request) -> web.Response:
        stats = self._controls.stats.to_json()
        stats["messages"]["published"] = self._book.messages.published
        return _json(stats)

    async def knobs(self, request: web.Request) -> web.Response:
        return _json(self._controls.knobs.model_dump(mode="json"))

    async def set_knobs(self, request: web.Request) -> web.Response:
        changes = await _body(request)
        if not isinstance(changes, dict):
            return _error(400, "knobs must be a JSON object")
        return _json(self._controls.update(**changes).model_dump(mode="json"))
