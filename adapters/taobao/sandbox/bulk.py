"""``POST /sandbox/trades/bulk``: many trades placed (and paid) in one request.

A benchmark needs a backlog of tens of thousands of paid orders before the
bridge starts; two HTTP round trips per order would take longer than the
drain it measures. The body is ``{"trades": [NewTradeBody, ...], "pay":
true}``; every trade is checked before any is placed, so a bad body places
nothing. The answer lists ``{"tid", "oids"}`` in the order given.
"""

from __future__ import annotations

from aiohttp import web
from pydantic import Field

from adapters.taobao.sandbox.book import TradeBook
from adapters.taobao.sandbox.render import dumps
from adapters.taobao.sandbox.shopper import NewTradeBody, _Body, _body, _guarded

MAX_BULK = 10_000


class BulkBody(_Body):
    trades: list[NewTradeBody] = Field(min_length=1, max_length=MAX_BULK)
    pay: bool = True


def bulk_routes(book: TradeBook) -> list[web.RouteDef]:
    """The bulk placement route over ``book``."""

    async def place(request: web.Request) -> web.Response:
        body = BulkBody.model_validate(await _body(request))
        placed = []
        for new in body.trades:
            trade = book.create(
                new.buyer_nick, new.buyer_message, new.type, [ln.to_line() for ln in new.lines]
            )
            if body.pay:
                book.pay(trade.tid)
            placed.append({"tid": trade.tid, "oids": [line.oid for line in trade.lines]})
        return web.json_response({"trades": placed}, dumps=dumps)

    return [web.post("/sandbox/trades/bulk", _guarded(place))]
