"""The order page's seller-note form: a note fitting the storefront's rule is added to the order's seller note
(the bridge's sections kept) and audited; an over-long one is refused with the limit in Chinese before any
call to the storefront (Taobao counts bytes, Pinduoduo characters); through the real app, on both engines."""

from __future__ import annotations

import json
from typing import Any

from tests.web.conftest import TwoDesk
from tests.web.rig import PDD_SHOP, UNKNOWN_CARD


async def _calls(desk: TwoDesk) -> int:
    """How many API calls both storefront sandboxes have answered so far."""
    taobao = await desk.rig.get(f"{desk.rig.sb.market_url}/sandbox/stats")
    pinduoduo = await desk.rig.get(f"{desk.pdd.url}/sandbox/stats")
    return sum(taobao["calls"].values()) + sum(pinduoduo["calls"].values())


async def _note(desk: TwoDesk, shop: str, tid: str, text: str) -> tuple[str, str]:
    """Submit the form; (where it leads, the message the order page then shows)."""
    answer = await desk.post(f"/orders/{shop}/{tid}/note", {"note": text})
    assert answer.status == 303
    location = answer.headers["Location"]
    page = await (await desk.client.get(location)).text()
    start = page.find('role="status"')
    return location, page[start : start + 400] if start >= 0 else ""


async def _orders(desk: TwoDesk) -> tuple[str, str]:
    tid = await desk.rig.order(message=f"卡号{UNKNOWN_CARD}")
    order_sn = await desk.pdd_order(UNKNOWN_CARD)
    await desk.rig.cycle()
    return tid, order_sn


async def _pdd_order(desk: TwoDesk, order_sn: str) -> Any:
    return await desk.rig.get(f"{desk.pdd.url}/sandbox/orders/{order_sn}")


async def test_an_over_long_taobao_note_is_refused_naming_the_byte_limit(two_desk: TwoDesk) -> None:
    """334 Chinese characters are 1002 bytes, over Taobao's 1000: refused, nothing asked of Taobao."""
    tid, _ = await _orders(two_desk)
    await two_desk.login("cs1")
    before = await _calls(two_desk)
    location, message = await _note(two_desk, "main", tid, "请" * 334)
    assert location.startswith(f"/orders/main/{tid}?") and "msg=refused" in location
    assert "最多 1000 字节" in message and "这条备注有 1002 字节" in message
    assert await _calls(two_desk) == before


async def test_an_over_long_pinduoduo_note_is_refused_naming_the_character_limit(two_desk: TwoDesk) -> None:
    """301 characters, over Pinduoduo's 300 (characters, not bytes): refused, nothing asked of Pinduoduo."""
    _, order_sn = await _orders(two_desk)
    await two_desk.login("cs1")
    before = await _calls(two_desk)
    _, message = await _note(two_desk, PDD_SHOP, order_sn, "a" * 301)
    assert "最多 300 个字" in message and "这条备注有 301 个字" in message
    assert await _calls(two_desk) == before


async def test_a_note_within_the_rule_is_added_to_the_seller_note(two_desk: TwoDesk) -> None:
    """200 Chinese characters fit Pinduoduo's 300 (though 600 bytes): written, and audited."""
    _, order_sn = await _orders(two_desk)
    await two_desk.login("cs1")
    text = "已电话联系买家" + "核" * 193
    _, message = await _note(two_desk, PDD_SHOP, order_sn, text)
    assert "已写入卖家备注" in message
    assert text in json.dumps(await _pdd_order(two_desk, order_sn), ensure_ascii=False)
    [entry] = await two_desk.deps.store.console.audit_entries(tid=order_sn, limit=10)
    assert (entry.action, entry.outcome, entry.actor) == ("note", "done", "cs1")


async def test_the_form_names_each_storefronts_limit(two_desk: TwoDesk) -> None:
    """The order page's note field says its storefront's limit: bytes on Taobao, characters on Pinduoduo."""
    tid, order_sn = await _orders(two_desk)
    await two_desk.login("cs1")
    taobao = await (await two_desk.client.get(f"/orders/main/{tid}")).text()
    pinduoduo = await (await two_desk.client.get(f"/orders/{PDD_SHOP}/{order_sn}")).text()
    assert "卖家备注最多 1000 字节" in taobao and "商家备注最多 300 个字" in pinduoduo


async def test_an_empty_note_is_refused_without_a_call(two_desk: TwoDesk) -> None:
    """Only spaces: nothing to write, nothing asked of the storefront."""
    tid, _ = await _orders(two_desk)
    await two_desk.login("cs1")
    before = await _calls(two_desk)
    _, message = await _note(two_desk, "main", tid, "   ")
    assert "备注是空的" in message and await _calls(two_desk) == before


async def test_a_note_for_an_unknown_order_is_not_found(two_desk: TwoDesk) -> None:
    """An order the bridge does not hold gets 404, and the storefront is not asked."""
    await two_desk.login("cs1")
    before = await _calls(two_desk)
    answer = await two_desk.post("/orders/main/999999999999/note", {"note": "x"})
    assert answer.status == 404 and await _calls(two_desk) == before


async def test_a_storefront_failing_the_write_is_said_and_audited(two_desk: TwoDesk) -> None:
    """Pinduoduo answering every call with a system error: the page says the write failed; the audit
    entry says refused."""
    _, order_sn = await _orders(two_desk)
    await two_desk.login("cs1")
    async with two_desk.rig.http.post(
        f"{two_desk.pdd.url}/sandbox/knobs", json={"error_rate": {"system": 1.0}}
    ) as answer:
        assert answer.status == 200, await answer.text()
    _, message = await _note(two_desk, PDD_SHOP, order_sn, "已联系买家")
    assert "写入网店失败" in message
    [entry] = await two_desk.deps.store.console.audit_entries(tid=order_sn, limit=10)
    assert (entry.action, entry.outcome) == ("note", "refused")


async def test_a_card_number_typed_in_a_note_is_masked_in_the_audit_log(two_desk: TwoDesk) -> None:
    """The note reaches the storefront as typed (the seller reads it there); the audit row keeps only the
    card's last four digits, as every other place the bridge keeps a card number."""
    _, order_sn = await _orders(two_desk)
    await two_desk.login("cs1")
    card = "8260012345678901"
    await _note(two_desk, PDD_SHOP, order_sn, f"买家改卡号为{card}")
    assert card in json.dumps(await _pdd_order(two_desk, order_sn), ensure_ascii=False)
    [entry] = await two_desk.deps.store.console.audit_entries(tid=order_sn, limit=10)
    assert card not in (entry.note or "") and "********8901" in (entry.note or "")
