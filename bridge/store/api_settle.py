"""An API order's callback, queued in the transaction of the line moves that settle it.

``move_lines`` (``bridge.store.transitions``) hands over the lines whose moves
may change their trade's delivery; for those of a channel client's shop this
reads each order's view as its lines now stand (``bridge.core.api_status``)
and, when the order's state is one that settles it and the order has a
callback URL, queues the notification (``bridge.store.api_callbacks``): the
moves and the row commit together or not at all. An order announces each
settled state once; a state it already announced queues nothing.

Which shops are channel clients is known at open (``open_store`` from
``[api.clients]`` when the API is enabled), carried on the engine as the
execution option ``bridge_api_shops`` so every connection of the store sees
it. A marketplace trade's moves are filtered out by their shop before any
statement: they issue none here.

The callback's body is the order's view (``ApiOrderView.document``) with two
fields of its own: ``event`` (``"order.settled"``) and ``settled_at`` (when the
move that settled it was made, China time).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bridge.core.api_status import SETTLED, ApiOrderView, api_time
from bridge.core.records import LineRecord
from bridge.store.api_callbacks import queue_callback
from bridge.store.api_orders import read_views

__all__ = ["EVENT", "api_shops", "callback_body", "serve_api_shops", "settle_api_orders"]

EVENT = "order.settled"

_OPTION = "bridge_api_shops"


def serve_api_shops(engine: AsyncEngine, shops: Iterable[str]) -> None:
    """Tell the store's connections which shops are channel clients (their orders get callbacks)."""
    engine.update_execution_options(**{_OPTION: frozenset(shops)})


def api_shops(conn: AsyncConnection) -> frozenset[str]:
    """The channel clients' shops, as the store was opened with."""
    shops: frozenset[str] = conn.sync_engine.get_execution_options().get(_OPTION, frozenset())
    return shops


def callback_body(view: ApiOrderView, now: datetime) -> dict[str, Any]:
    """What the callback of ``view``'s settled state carries."""
    return {"event": EVENT, "settled_at": api_time(now), **view.document()}


async def settle_api_orders(conn: AsyncConnection, moved: Sequence[LineRecord], now: datetime) -> None:
    """Queue the callback of each channel order among ``moved``'s trades that these moves settled."""
    shops = api_shops(conn)
    keys = sorted({(line.shop, line.tid) for line in moved if line.shop in shops})
    if not keys:
        return
    for view in await read_views(conn, keys):
        url = view.sent.callback_url
        state = view.state
        if url is not None and state in SETTLED:
            body = callback_body(view, now)
            await queue_callback(conn, view.order.client, view.order.order_id, state, url, body, now)
