"""Order ids too long to name a request_id are refused where a trade enters the bridge.

A request_id is ``shop:tid:oid:part`` in at most 64 characters; ``bridge.core.request_ids``
keeps that by the ids' lengths (tid ≤ 22, oid ≤ 19). A trade whose ids break them waits for a
person as an unreadable trade, its reason naming the id and the limit; nothing is planned or sent.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from structlog.testing import capture_logs

from bridge.core.trades import Trade
from bridge.services.intake import poll_all
from tests.rig import Rig, line

SHOP = "main"


class _Renamed:
    """The shop's port, its trades' ids rewritten as another storefront might write them."""

    def __init__(self, real: Any, tid: str | None = None, oid: str | None = None) -> None:
        self._real, self._tid, self._oid = real, tid, oid

    def list_pages(self, start: Any, end: Any) -> Any:
        async def pages() -> Any:
            async for page in self._real.list_pages(start, end):
                yield [replace(s, tid=self._tid or s.tid) for s in page]

        return pages()

    async def get_trade(self, tid: str) -> Trade:
        trade = await self._real.get_trade(tid)
        lines = tuple(replace(ln, oid=self._oid or ln.oid) for ln in trade.lines)
        return replace(trade, tid=tid, lines=lines)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


async def test_an_oid_longer_than_the_limit_makes_the_trade_unreadable_naming_it(rig: Rig) -> None:
    """A 20-character oid: the trade waits for CS with the oid and the 19-character limit named."""
    tid = await rig.order(line(), message=f"卡号{(await rig.cards())[0]}")
    port = _Renamed(rig.deps.shops[SHOP], oid="9" * 20)
    deps = replace(rig.deps, shops={SHOP: port})
    await poll_all(deps)
    [waiting] = await rig.deps.store.queue.unreadable_trades(None)
    assert waiting.tid == tid
    assert f"oid '{'9' * 20}' of tid {tid} is not 1-19 chars" in waiting.error
    assert await rig.deps.store.views.all_lines() == []


async def test_a_tid_longer_than_the_store_keeps_is_logged_and_the_poll_goes_on(rig: Rig) -> None:
    """A listed tid of 41 characters cannot even be recorded (the store keeps 40): it is logged as
    unreadable, never read in full, and the poll ends as usual."""
    await rig.order(line(), message=f"卡号{(await rig.cards())[0]}")
    port = _Renamed(rig.deps.shops[SHOP], tid="7" * 41)
    with capture_logs() as logs:
        await poll_all(replace(rig.deps, shops={SHOP: port}))
    [logged] = [e for e in logs if e["event"] == "trade_unreadable"]
    assert logged["recorded"] is False and "is not 1-22 chars" in logged["error"]
    assert await rig.deps.store.queue.unreadable_trades(None) == []
