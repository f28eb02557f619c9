"""The console shows an order API client's orders like any shop's, its badge the client's name: in the
queue (and its storefront filter), the search and the audit log; through the real apps over a bridge
with the Taobao shop ``main`` and the client ``hall``, on both engines."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bridge.core.states import LineState
from bridge.services import cs_actions
from bridge.web import make_console_app
from tests.api.channel import line
from tests.api.conftest import ServerFactory
from tests.api.hall import Hall, open_hall
from tests.rig import Rig
from tests.web.conftest import ClientFactory, Desk
from tests.web.rig import UNKNOWN_CARD, add_users

ORDER = "H20261208001"
_API_BADGE = '<span class="badge storefront sf-api" data-storefront="api" title="自有渠道">hall</span>'


@pytest.fixture
async def desk(
    tmp_path: Path, database: str, aiohttp_server: ServerFactory, aiohttp_client: ClientFactory
) -> AsyncIterator[tuple[Desk, Hall]]:
    """The console over a bridge with the client ``hall``; its order (an unmapped SKU) and a Taobao
    order (an unknown card) both waiting for a person."""
    async with open_hall(tmp_path, database, aiohttp_server, console={"figures_every_s": 0}) as hall:
        await add_users(hall.rig.deps)
        await hall.post(ORDER, line(sku="NO-SUCH-SKU"))
        await hall.rig.order(message=f"卡号{UNKNOWN_CARD}")
        await hall.rig.cycle()
        desk = Desk(hall.rig, await aiohttp_client(make_console_app(hall.rig.deps)))
        await desk.login("cs1")
        yield desk, hall


def _tids(html: str) -> list[str]:
    return re.findall(r'<span class="q-order"><a href="/orders/\w+/([\w.:-]+)">', html)


async def _line_id(rig: Rig, tid: str) -> int:
    [ln] = await rig.lines(tid)
    assert ln.state is LineState.EXCEPTION
    return ln.id


async def test_the_queue_row_of_a_client_s_order_shows_the_client_s_name(desk: tuple[Desk, Hall]) -> None:
    """The order's row carries the badge ``hall`` (自有渠道 as its title), not a storefront's name."""
    console, _ = desk
    html = await (await console.client.get("/queue?list=1")).text()
    row = next(r for r in html.split('<span class="q-order">') if f"/orders/hall/{ORDER}" in r)
    assert _API_BADGE in row


async def test_the_queue_filters_by_the_api_storefront(desk: tuple[Desk, Hall]) -> None:
    """The filter offers 自有渠道; choosing it lists the client's orders alone."""
    console, _ = desk
    page = await (await console.client.get("/queue")).text()
    assert '<option value="api" >自有渠道</option>' in page
    listed = await (await console.client.get("/queue?list=1&storefront=api")).text()
    assert _tids(listed) == [ORDER]


async def test_search_opens_a_client_s_order(desk: tuple[Desk, Hall]) -> None:
    """The client's order id opens its order page under the client's shop; so does the client's name
    (the buyer of its orders) when it has one order waiting."""
    console, _ = desk
    answer = await console.client.get(f"/queue?q={ORDER}", allow_redirects=False)
    assert (answer.status, answer.headers["Location"]) == (303, f"/orders/hall/{ORDER}")
    page = await (await console.client.get(f"/orders/hall/{ORDER}")).text()
    assert _API_BADGE in page
    by_name = await console.client.get("/queue?q=hall", allow_redirects=False)
    assert by_name.headers["Location"] == f"/orders/hall/{ORDER}"


async def test_the_audit_log_names_the_client(desk: tuple[Desk, Hall]) -> None:
    """CS's cancel of the client's line is in the audit log with the client's badge beside the order."""
    console, hall = desk
    outcome = await cs_actions.cancel_refund(
        hall.rig.deps, "cs1", await _line_id(hall.rig, ORDER), "渠道要求取消"
    )
    assert outcome.status == "done"
    await console.login("admin1")
    html = await (await console.client.get("/audit")).text()
    assert f'{_API_BADGE} <a href="/orders/hall/{ORDER}">{ORDER}</a>' in html
