"""A backlog in bounded memory: intake stores each listed page before it asks for the next.

The shop's client lists two trades a page, so five paid trades make a window of three pages
(the marketplace sorts newest first and the client reads the last page first). The client's
calls of the list method are watched, or failed on cue, where they leave for the marketplace.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from adapters.taobao.wire import parse_list_page
from bridge.core.errors import Retryable, StoreUnavailable
from bridge.lab.sandboxes import Sandboxes, bridge_settings
from bridge.services.intake import poll_all
from bridge.settings import Settings
from tests.rig import Rig, line, open_rig, with_role

SHOP = "main"
LIST = "taobao.trades.sold.increment.get"


def _two_a_page(sb: Sandboxes, workdir: Path, **sections: Any) -> Settings:
    settings = bridge_settings(sb, workdir, **sections)
    shops = {name: shop.model_copy(update={"page_size": 2}) for name, shop in settings.shops.items()}
    return settings.model_copy(update={"shops": shops})


@pytest.fixture
async def rig(tmp_path: Path, database: str) -> AsyncIterator[Rig]:
    async with open_rig(tmp_path, database=database, settings_for=_two_a_page) as r:
        yield r


Call = Callable[..., Awaitable[dict[str, Any]]]


def _on_page_requests(
    rig: Rig, monkeypatch: pytest.MonkeyPatch, before: Callable[[list[int]], Awaitable[None]]
) -> list[list[int]]:
    """Run ``before(tids of the pages listed so far)`` as each page of the list (not its one-row
    count) is asked for; the pages listed, each as its tids."""
    top = rig.deps.shops[SHOP]._inner._top  # type: ignore[attr-defined]  # the client's own transport
    real: Call = top.call
    pages: list[list[int]] = []

    async def call(method: str, params: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        paging = method == LIST and params["page_size"] != 1
        if paging:
            await before([tid for page in pages for tid in page])
        answer = await real(method, params, **kwargs)
        if paging:
            pages.append([s.tid for s in parse_list_page(answer).trades])
        return answer

    monkeypatch.setattr(top, "call", call)
    return pages


async def _stored(rig: Rig, tids: list[str]) -> set[str]:
    return set(await rig.deps.store.intake.known_versions(SHOP, tids))


async def _backlog(rig: Rig, trades: int = 5) -> list[str]:
    card = (await rig.cards())[0]
    return [await rig.order(line(), message=card) for _ in range(trades)]


async def test_each_listed_page_is_stored_before_the_next_is_asked_for(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When page k+1 is requested from the marketplace, every trade of pages 1..k is in the store."""
    tids = await _backlog(rig)
    held: list[bool] = []

    async def before(listed: list[int]) -> None:
        if listed:
            held.append(await _stored(rig, listed) == set(listed))

    _on_page_requests(rig, monkeypatch, before)
    await poll_all(rig.deps)
    assert len(held) >= 2 and all(held)
    assert await _stored(rig, tids) == set(tids)


async def test_a_marketplace_failure_mid_window_keeps_the_stored_pages_and_the_watermark(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The list fails on its second page: the first page's trade is stored, the rest are not, the
    watermark has not moved; the next poll stores the rest, and every line is credited once."""
    tids = await _backlog(rig)
    pages = [0]

    async def before(listed: list[int]) -> None:
        pages[0] += 1
        if pages[0] == 2:
            raise Retryable("the marketplace timed out", code="isp.top-remote-connection-timeout")

    listed = _on_page_requests(rig, monkeypatch, before)
    assert await poll_all(rig.deps) == []  # the shop's poll failed (recorded, not raised)
    assert len(listed) == 1 and await _stored(rig, tids) == set(listed[0])  # the last page, read first
    assert await rig.deps.store.intake.watermark(SHOP) is None
    await poll_all(rig.deps)
    assert await _stored(rig, tids) == set(tids)
    await rig.cycle()
    assert [len(await rig.ledger(tid)) for tid in tids] == [1] * len(tids)


async def test_a_store_failure_mid_window_keeps_the_stored_pages_and_the_watermark(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The store fails as the second page is looked up: the first page stays stored, the watermark
    has not moved, and the next poll stores the rest exactly once."""
    tids = await _backlog(rig)
    intake = rig.deps.store.intake
    lookups = [0]

    class _FailsOnce:
        async def known_versions(self, shop: str, listed: list[str]) -> Any:
            lookups[0] += 1
            if lookups[0] == 2:
                raise StoreUnavailable("the database connection was lost", code="STORE_CONNECTION_LOST")
            return await intake.known_versions(shop, listed)

        def __getattr__(self, name: str) -> Any:
            return getattr(intake, name)

    async def before(listed: list[int]) -> None:
        pass

    listed = _on_page_requests(rig, monkeypatch, before)
    failing = replace(rig.deps, store=with_role(rig.deps.store, "intake", _FailsOnce()))
    assert await poll_all(failing) == []
    assert len(listed) >= 2 and await _stored(rig, tids) == set(listed[0])
    assert await intake.watermark(SHOP) is None
    await poll_all(rig.deps)
    assert [len(await rig.lines(tid)) for tid in tids] == [1] * len(tids)
    await rig.cycle()
    assert [len(await rig.ledger(tid)) for tid in tids] == [1] * len(tids)
