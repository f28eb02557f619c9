"""The sandbox's bulk placement endpoint, for benchmark backlogs."""

from __future__ import annotations

from adapters.taobao.sandbox import TaobaoSandbox

from .helpers import Shopper


def _trade(nick: str, sku: str = "RC-0050") -> dict[str, object]:
    return {
        "buyer_nick": nick,
        "lines": [{"outer_sku_id": sku, "title": "卡", "price": "50.00", "quantity": 2}],
    }


async def test_bulk_places_and_pays_in_order(shopper: Shopper, sandbox: TaobaoSandbox) -> None:
    """Every trade is placed and paid, answered in the order given, with its line ids."""
    status, data = await shopper.request(
        "POST", "/sandbox/trades/bulk", {"trades": [_trade("a"), _trade("b")]}
    )
    assert status == 200 and len(data["trades"]) == 2
    seen = [sandbox.book.get(t["tid"]) for t in data["trades"]]
    assert [t.buyer_nick for t in seen] == ["a", "b"]
    assert [t.status for t in seen] == ["WAIT_SELLER_SEND_GOODS"] * 2
    assert [[ln.oid for ln in t.lines] for t in seen] == [t["oids"] for t in data["trades"]]
    assert all(t.pay_time is not None for t in seen)


async def test_bulk_unpaid_when_asked(shopper: Shopper, sandbox: TaobaoSandbox) -> None:
    """With ``pay`` false the trades wait for payment."""
    status, data = await shopper.request(
        "POST", "/sandbox/trades/bulk", {"trades": [_trade("a")], "pay": False}
    )
    assert status == 200
    assert sandbox.book.get(data["trades"][0]["tid"]).status == "WAIT_BUYER_PAY"


async def test_bulk_bad_trade_places_nothing(shopper: Shopper, sandbox: TaobaoSandbox) -> None:
    """One invalid trade is a 400 naming the field, and no trade of the request is placed."""
    bad = {"buyer_nick": "c", "lines": []}
    status, data = await shopper.request("POST", "/sandbox/trades/bulk", {"trades": [_trade("a"), bad]})
    assert status == 400 and "lines" in data["error"]
    assert sum(1 for _ in sandbox.book) == 0
