"""The console knows storefronts: every queue row and order page names its storefront (淘宝 / 拼多多),
the queue filters by it, and the search finds an order by either storefront's order id; through the
real app over a bridge with a Taobao shop and a Pinduoduo shop, on both engines."""

from __future__ import annotations

import re

from bridge.core.states import LineState
from tests.rig import line
from tests.web.conftest import TwoDesk
from tests.web.rig import PDD_SHOP, UNKNOWN_CARD

_ROW_ORDER = re.compile(r'<span class="q-order"><a href="/orders/(\w+)/([\w.:-]+)">[^<]*</a> (.*?)</span>\n')
_BADGE = re.compile(r'<span class="badge storefront sf-(\w+)" data-storefront="\w+">([^<]+)</span>')


async def _two_exceptions(desk: TwoDesk) -> tuple[str, str]:
    """An unknown card on each storefront: (Taobao tid, Pinduoduo order_sn), both in EXCEPTION."""
    tid = await desk.rig.order(message=f"卡号{UNKNOWN_CARD}")
    order_sn = await desk.pdd_order(UNKNOWN_CARD)
    await desk.rig.cycle()
    found = {(ln.shop, ln.tid): ln.state for ln in await desk.rig.lines()}
    assert found == {("main", tid): LineState.EXCEPTION, (PDD_SHOP, order_sn): LineState.EXCEPTION}
    return tid, order_sn


async def _rows(desk: TwoDesk, query: str) -> dict[str, list[tuple[str, str]]]:
    """Each queue row's order id and the storefront badges beside it (storefront, label)."""
    html = await (await desk.client.get(f"/queue?list=1&{query}")).text()
    return {tid: _BADGE.findall(rest) for _shop, tid, rest in _ROW_ORDER.findall(html)}


async def test_every_queue_row_names_its_storefront(two_desk: TwoDesk) -> None:
    """A Taobao line's row carries the badge 淘宝, a Pinduoduo line's 拼多多 (text, no icon)."""
    tid, order_sn = await _two_exceptions(two_desk)
    await two_desk.login("cs1")
    assert await _rows(two_desk, "") == {tid: [("taobao", "淘宝")], order_sn: [("pinduoduo", "拼多多")]}


async def test_every_order_page_names_its_storefront(two_desk: TwoDesk) -> None:
    """The order page's header says the storefront of the order's shop."""
    tid, order_sn = await _two_exceptions(two_desk)
    await two_desk.login("cs1")
    taobao = await (await two_desk.client.get(f"/orders/main/{tid}")).text()
    pinduoduo = await (await two_desk.client.get(f"/orders/{PDD_SHOP}/{order_sn}")).text()
    assert {s for s, _ in _BADGE.findall(taobao)} == {"taobao"}
    assert {s for s, _ in _BADGE.findall(pinduoduo)} == {"pinduoduo"}


async def test_queue_filters_by_storefront(two_desk: TwoDesk) -> None:
    """Choosing a storefront lists only the lines of its shops; the filter offers both storefronts."""
    tid, order_sn = await _two_exceptions(two_desk)
    await two_desk.login("cs1")
    assert list(await _rows(two_desk, "storefront=pinduoduo")) == [order_sn]
    assert list(await _rows(two_desk, "storefront=taobao")) == [tid]
    html = await (await two_desk.client.get("/queue")).text()
    assert '<option value="taobao" >淘宝</option>' in html
    assert '<option value="pinduoduo" >拼多多</option>' in html


async def test_an_unknown_storefront_filters_nothing_out(two_desk: TwoDesk) -> None:
    """A storefront no shop sells on is dropped from the filter, as an unknown shop is."""
    tid, order_sn = await _two_exceptions(two_desk)
    await two_desk.login("cs1")
    assert set(await _rows(two_desk, "storefront=jd")) == {tid, order_sn}


async def test_search_opens_an_order_by_either_storefronts_order_id(two_desk: TwoDesk) -> None:
    """Taobao's numeric tid and Pinduoduo's order_sn (231207-…) each open their order."""
    tid, order_sn = await _two_exceptions(two_desk)
    await two_desk.login("cs1")
    for shop, order_id in (("main", tid), (PDD_SHOP, order_sn)):
        answer = await two_desk.client.get(f"/queue?q={order_id}", allow_redirects=False)
        assert (answer.status, answer.headers["Location"]) == (303, f"/orders/{shop}/{order_id}")


async def test_search_within_a_storefront_finds_only_its_orders(two_desk: TwoDesk) -> None:
    """A Pinduoduo order_sn searched under the Taobao filter opens nothing and lists nothing."""
    _tid, order_sn = await _two_exceptions(two_desk)
    await two_desk.login("cs1")
    answer = await two_desk.client.get(f"/queue?q={order_sn}&storefront=taobao", allow_redirects=False)
    assert answer.status == 200
    assert await _rows(two_desk, f"q={order_sn}&storefront=taobao") == {}


async def _unreadable(desk: TwoDesk, order_sn: str = "231207-123456789012345") -> str:
    """A Pinduoduo order the bridge could not read (no lines, waiting for CS): its order_sn."""
    now = desk.deps.clock()
    assert await desk.deps.store.intake.record_intake_failure(
        PDD_SHOP, order_sn, error="bad_json", actor="system", now=now
    )
    return order_sn


async def test_an_unreadable_order_is_listed_under_its_own_storefront_only(two_desk: TwoDesk) -> None:
    """Above the queue, a Pinduoduo order never read well shows under 拼多多 (with its badge), not 淘宝."""
    order_sn = await _unreadable(two_desk)
    await two_desk.login("cs1")
    marker = f'data-unreadable="{PDD_SHOP}/{order_sn}"'
    pinduoduo = await (await two_desk.client.get("/queue?list=1&storefront=pinduoduo")).text()
    taobao = await (await two_desk.client.get("/queue?list=1&storefront=taobao")).text()
    assert marker in pinduoduo and 'data-storefront="pinduoduo"' in pinduoduo
    assert marker not in taobao


async def test_search_within_a_storefront_skips_unreadable_orders_of_another(two_desk: TwoDesk) -> None:
    """An unreadable Pinduoduo order's order_sn opens it, except under the Taobao filter."""
    order_sn = await _unreadable(two_desk)
    await two_desk.login("cs1")
    found = await two_desk.client.get(f"/queue?q={order_sn}", allow_redirects=False)
    assert found.headers["Location"] == f"/orders/{PDD_SHOP}/{order_sn}"
    other = await two_desk.client.get(f"/queue?q={order_sn}&storefront=taobao", allow_redirects=False)
    assert other.status == 200


_CAME_FROM = re.compile(
    r'<code>([^<]+)</code> <div class="small"><span class="sku-from" data-came-from="([\w ]+)">'
)


async def _unmapped(desk: TwoDesk) -> None:
    """Unmapped codes: TV-NEW-777 on Taobao, PDD-NEW-9 on Pinduoduo, TV-NEW-555 on both."""
    await desk.rig.order(line("TV-NEW-777", "5.00"), message=UNKNOWN_CARD)
    await desk.rig.order(line("TV-NEW-555", "5.00"), message=UNKNOWN_CARD)
    await desk.pdd_order(UNKNOWN_CARD, outer_id="PDD-NEW-9")
    await desk.pdd_order(UNKNOWN_CARD, outer_id="TV-NEW-555")
    await desk.rig.cycle()
    assert {ln.reason for ln in await desk.rig.lines()} == {"UNMAPPED_SKU"}


async def test_the_unmapped_inbox_says_which_storefront_each_code_came_from(two_desk: TwoDesk) -> None:
    """Each unmapped code names the storefronts whose lines carry it (Pinduoduo's outer_id beside Taobao's
    outer_sku_id, both 商家编码)."""
    await _unmapped(two_desk)
    await two_desk.login("cs1")
    html = await (await two_desk.client.get("/mappings")).text()
    assert dict(_CAME_FROM.findall(html)) == {
        "TV-NEW-555": "pinduoduo taobao",
        "TV-NEW-777": "taobao",
        "PDD-NEW-9": "pinduoduo",
    }
    assert "商家编码（outer_id）" in html and "商家编码（outer_sku_id）" in html


async def test_the_mapping_editor_says_which_storefront_a_waiting_code_came_from(two_desk: TwoDesk) -> None:
    """Mapping a code from the inbox, the editor names its storefront and that storefront's key."""
    await _unmapped(two_desk)
    await two_desk.login("admin1")
    html = await (await two_desk.client.get("/mappings/edit?new=PDD-NEW-9")).text()
    assert 'data-came-from="pinduoduo"' in html and "商家编码（outer_id）" in html
    fresh = await (await two_desk.client.get("/mappings/edit?new=NOT-WAITING")).text()
    assert "data-came-from" not in fresh
