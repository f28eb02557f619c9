"""The sandbox's shopper, inspection, stats and knob endpoints (JSON over HTTP)."""

from __future__ import annotations

from datetime import datetime

import pytest

from adapters.taobao.sandbox import TaobaoKnobs, TaobaoSandbox

from .helpers import Shopper


async def test_place_trade_defaults(shopper: Shopper) -> None:
    """A new trade waits for payment; payment defaults to price × quantity; ids are large."""
    status, placed = await shopper.request(
        "POST",
        "/sandbox/trades",
        {
            "buyer_nick": "tb_1",
            "buyer_message": None,
            "lines": [
                {"outer_sku_id": "RC-0050", "title": "卡", "price": "50.00", "quantity": 3},
                {
                    "outer_sku_id": "CH-FYZQ",
                    "title": "风云足球",
                    "price": "2.00",
                    "quantity": 1,
                    "payment": "1.50",
                    "customization": "8888000011112222",
                },
            ],
        },
    )
    assert status == 200 and set(placed) == {"tid", "oids"}
    assert placed["tid"] >= 10**15 and len(set(placed["oids"])) == 2
    seen = await shopper.inspect(placed["tid"])
    assert (seen["status"], seen["type"], seen["payment"], seen["paid_at"]) == (
        "WAIT_BUYER_PAY",
        "fixed",
        "151.50",
        None,
    )
    assert [(x["payment"], x["refund_status"], x["customization"]) for x in seen["lines"]] == [
        ("150.00", "NO_REFUND", None),
        ("1.50", "NO_REFUND", "8888000011112222"),
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"buyer_nick": "b", "lines": []}, "lines"),
        (
            {
                "buyer_nick": "b",
                "lines": [{"outer_sku_id": "S", "title": "t", "price": "5.0.0", "quantity": 1}],
            },
            "price",
        ),
        (
            {"buyer_nick": "b", "lines": [{"outer_sku_id": "S", "title": "t", "price": "5", "quantity": 0}]},
            "quantity",
        ),
        ({"lines": [{"outer_sku_id": "S", "title": "t", "price": "5", "quantity": 1}]}, "buyer_nick"),
        ({"buyer_nick": "b", "colour": "red", "lines": []}, "colour"),
    ],
)
async def test_bad_new_trade_is_400_naming_the_field(
    shopper: Shopper, body: dict[str, object], field: str
) -> None:
    """Validation errors answer 400 with the field in the message."""
    status, data = await shopper.request("POST", "/sandbox/trades", body)
    assert status == 400 and field in data["error"]


async def test_pay_sets_status_and_time(shopper: Shopper) -> None:
    """Paying moves to WAIT_SELLER_SEND_GOODS with an ISO pay time (microseconds, offset)."""
    placed = await shopper.place()
    paid = await shopper.pay(placed["tid"])
    assert paid["status"] == "WAIT_SELLER_SEND_GOODS"
    assert paid["paid_at"].endswith("+08:00") and "." in paid["paid_at"]
    assert datetime.fromisoformat(paid["paid_at"]).utcoffset() is not None
    assert all(line["status"] == "WAIT_SELLER_SEND_GOODS" for line in paid["lines"])


async def test_pay_twice_or_unknown(shopper: Shopper) -> None:
    """Paying a paid trade is 409; an unknown tid is 404."""
    placed = await shopper.paid_trade()
    assert (await shopper.request("POST", f"/sandbox/trades/{placed['tid']}/pay"))[0] == 409
    assert (await shopper.request("POST", "/sandbox/trades/123/pay"))[0] == 404
    assert (await shopper.request("GET", "/sandbox/trades/abc"))[0] == 404


async def test_refund_outcomes(shopper: Shopper) -> None:
    """requested → WAIT_SELLER_AGREE; closed → CLOSED; success on every line → TRADE_CLOSED."""
    placed = await shopper.paid_trade(lines=2)
    tid, (first, second) = placed["tid"], placed["oids"]
    path = f"/sandbox/trades/{tid}/refund"
    _, seen = await shopper.request("POST", path, {"oid": first, "outcome": "requested"})
    assert seen["lines"][0]["refund_status"] == "WAIT_SELLER_AGREE"
    _, seen = await shopper.request("POST", path, {"oid": first, "outcome": "closed"})
    assert seen["lines"][0]["refund_status"] == "CLOSED"
    _, seen = await shopper.request("POST", path, {"oid": first, "outcome": "success"})
    assert (seen["status"], seen["lines"][0]["refund_status"]) == ("WAIT_SELLER_SEND_GOODS", "SUCCESS")
    _, seen = await shopper.request("POST", path, {"oid": second, "outcome": "success"})
    assert seen["status"] == "TRADE_CLOSED"


async def test_refund_errors(shopper: Shopper) -> None:
    """Unknown oid 404, unknown outcome 400, unpaid trade 409."""
    placed = await shopper.paid_trade()
    path = f"/sandbox/trades/{placed['tid']}/refund"
    assert (await shopper.request("POST", path, {"oid": 1, "outcome": "success"}))[0] == 404
    assert (await shopper.request("POST", path, {"oid": placed["oids"][0], "outcome": "maybe"}))[0] == 400
    unpaid = await shopper.place()
    body = {"oid": unpaid["oids"][0], "outcome": "requested"}
    assert (await shopper.request("POST", f"/sandbox/trades/{unpaid['tid']}/refund", body))[0] == 409


async def test_list_all_trades(shopper: Shopper) -> None:
    """``GET /sandbox/trades`` lists every trade's inspection JSON."""
    tids = [(await shopper.place())["tid"] for _ in range(3)]
    status, data = await shopper.request("GET", "/sandbox/trades")
    assert status == 200 and [t["tid"] for t in data["trades"]] == tids
    assert {"deliveries", "dummy_send_calls", "memo", "flag", "memo_history", "lines"} <= set(
        data["trades"][0]
    )


async def test_knobs_partial_update_and_validation(shopper: Shopper, sandbox: TaobaoSandbox) -> None:
    """POST merges (error_rate key by key); a bad knob is 400 and changes nothing."""
    status, knobs = await shopper.request(
        "POST", "/sandbox/knobs", {"error_rate": {"isp": 0.25}, "latency_ms": [1, 3]}
    )
    assert status == 200 and knobs["error_rate"] == {"isp": 0.25, "call_limit": 0.0, "session": 0.0}
    status, knobs = await shopper.request("POST", "/sandbox/knobs", {"error_rate": {"session": 0.1}})
    assert knobs["error_rate"]["isp"] == 0.25 and knobs["latency_ms"] == [1, 3]
    for bad, name in (
        ({"error_rate": {"isp": 2}}, "isp"),
        ({"latency_ms": [5, 1]}, "latency_ms"),
        ({"nope": 1}, "nope"),
    ):
        status, data = await shopper.request("POST", "/sandbox/knobs", bad)
        assert status == 400 and name in data["error"]
    assert (await shopper.request("GET", "/sandbox/knobs"))[1] == knobs
    assert sandbox.knobs == TaobaoKnobs.model_validate(knobs)


async def test_stats_shape(shopper: Shopper, sandbox: TaobaoSandbox) -> None:
    """Stats report calls by method, injected errors by kind, rate-limit rejections and messages."""
    status, stats = await shopper.request("GET", "/sandbox/stats")
    assert status == 200
    assert stats == {
        "calls": {},
        "errors": {},
        "errors_injected": {"isp": 0, "call_limit": 0, "session": 0},
        "rate_limited": 0,
        "pages_shifted": 0,
        "messages": dict.fromkeys(
            ("handed_out", "redelivered", "confirmed", "dropped", "duplicated", "published"), 0
        ),
    }


async def test_non_json_bodies_are_400(shopper: Shopper) -> None:
    """A body that is not JSON, or knobs that are not an object, answer 400."""
    async with shopper.http.post(shopper.base + "/sandbox/trades", data=b"{nope") as resp:
        assert resp.status == 400 and "not JSON" in (await resp.json())["error"]
    status, data = await shopper.request("POST", "/sandbox/knobs", [1, 2])
    assert status == 400 and "object" in data["error"]
