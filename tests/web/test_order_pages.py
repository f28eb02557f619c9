"""A big order on its page: a hundred lines a page, the whole trade counted in the header.

250 lines make three pages, the last one short; a 10,000-line page is timed by ``python -m bench.big_trade``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import structlog

from bridge.services.intake import poll_all
from bridge.web import make_console_app
from tests.rig import line, open_rig
from tests.web.conftest import ClientFactory, Desk
from tests.web.rig import add_users, console_settings

LINES = 250
NO_CEILING = {"trade_amount_fen": 10**12, "trade_quantity": 10**9}
"""Its lines pass the trade's ceilings: the page, not an admin's approval, is under test."""


@pytest.fixture
async def desk(tmp_path: Path, database: str, aiohttp_client: ClientFactory) -> AsyncIterator[Desk]:
    """The console's desk (tests/web/conftest.py) over a bridge whose trades have no ceiling to speak of."""
    async with open_rig(
        tmp_path, settings_for=console_settings, database=database, ceilings=NO_CEILING
    ) as rig:
        await add_users(rig.deps)
        yield Desk(rig, await aiohttp_client(make_console_app(rig.deps)))


async def _big_order(desk: Desk) -> int:
    """A paid trade of 250 lines, stored (and planned) by a poll: its tid."""
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    [card] = (await desk.rig.cards())[:1]
    tid = await desk.rig.order(*(line() for _ in range(LINES)), message=card)
    await poll_all(desk.deps)
    return tid


async def test_the_first_page_of_a_big_order_shows_a_hundred_lines_and_links_the_next(desk: Desk) -> None:
    """Page 1 holds 100 lines, says how many the trade has by state, and links page 2 (not page 0)."""
    tid = await _big_order(desk)
    await desk.login("cs1")
    html = await (await desk.client.get(f"/orders/main/{tid}")).text()
    assert html.count('<section class="card line"') == 100
    assert f'rel="next" href="/orders/main/{tid}?page=2"' in html and 'rel="prev"' not in html
    assert "共 250 个子订单" in html and "第 1 / 3 页" in html


async def test_the_last_page_of_a_big_order_links_back_and_not_on(desk: Desk) -> None:
    """Page 3 holds the last 50 lines and links back to page 2 only."""
    tid = await _big_order(desk)
    await desk.login("cs1")
    html = await (await desk.client.get(f"/orders/main/{tid}?page=3")).text()
    assert html.count('<section class="card line"') == 50
    assert f'rel="prev" href="/orders/main/{tid}?page=2"' in html and 'rel="next"' not in html
    assert "第 3 / 3 页" in html
