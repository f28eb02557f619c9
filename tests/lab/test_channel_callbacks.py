"""The lab's count of a channel's callbacks, and its reading of the channel's orders from the API."""

from __future__ import annotations

from typing import Any

from bridge.lab.callbacks import callback_figures, callbacks_pass
from bridge.lab.order_kinds import PlannedLine, PlannedOrder
from bridge.lab.receiver import CallbackReceiver
from bridge.lab.verify import Records, seen_on_storefront


def _doc(order_id: str, state: str) -> dict[str, Any]:
    return {"order_id": order_id, "state": state, "paid_at": "2026-12-08T10:00:00+08:00"}


def _heard(*payloads: dict[str, Any]) -> CallbackReceiver:
    receiver = CallbackReceiver({})
    for n, payload in enumerate(payloads):
        receiver.record(f"hall.{n}", payload)
    return receiver


def test_every_settled_order_announced_passes() -> None:
    """Two settled orders announced in their final states: settled 2, acknowledged 2 (pending: none)."""
    orders = {"H1": _doc("H1", "delivered"), "H2": _doc("H2", "needs_attention"), "H3": _doc("H3", "pending")}
    figures = callback_figures(orders, _heard(_doc("H1", "delivered"), _doc("H2", "needs_attention")), 0)
    assert (figures["settled"], figures["acknowledged"], figures["pending"]) == (2, 2, 0)
    assert callbacks_pass(figures)


def test_an_order_announced_in_an_earlier_state_only_is_unacknowledged() -> None:
    """An order refunded after it was announced delivered: only the refund's callback acknowledges it."""
    figures = callback_figures({"H1": _doc("H1", "refunded")}, _heard(_doc("H1", "delivered")), 0)
    assert (figures["settled"], figures["acknowledged"], figures["unacknowledged"]) == (1, 0, ["H1"])
    assert not callbacks_pass(figures)


def test_a_callback_wrapping_the_order_counts_like_a_bare_one() -> None:
    """A payload carrying the order's document under ``order`` announces it too."""
    figures = callback_figures({"H1": _doc("H1", "delivered")}, _heard({"order": _doc("H1", "delivered")}), 0)
    assert figures["acknowledged"] == 1


def test_a_notification_still_in_the_outbox_fails_the_run() -> None:
    """Every settled order acknowledged, yet one outbox row unacknowledged by the sender: not a pass."""
    figures = callback_figures({"H1": _doc("H1", "delivered")}, _heard(_doc("H1", "delivered")), 1)
    assert not callbacks_pass(figures)


def _api_order(order_id: str) -> PlannedOrder:
    line = PlannedLine("TV-RC-0100", "充值", 10000, 1, 10000, None, "8371000012345678")
    return PlannedOrder("topup", "", "", [line], tid=order_id, oids=["1"], storefront="api")


def test_an_api_order_delivered_is_seen_once_with_its_times() -> None:
    """The API's ``delivered`` is one delivery, at its last change; ``needs_attention`` the red note."""
    doc = _doc("H1", "delivered") | {"modified_at": "2026-12-08T10:00:03+08:00"}
    records = Records({}, [], api_orders={"H1": doc, "H2": _doc("H2", "needs_attention")})
    seen = seen_on_storefront(_api_order("H1"), records)
    assert seen.deliveries == 1 and not seen.red_note
    assert seen.delivered_at is not None and seen.paid_at is not None
    assert (seen.delivered_at - seen.paid_at).total_seconds() == 3
    assert seen_on_storefront(_api_order("H2"), records).red_note


def test_an_api_order_the_api_does_not_list_is_not_delivered() -> None:
    """An order missing from the API's list was never delivered (the verification counts it lost)."""
    assert seen_on_storefront(_api_order("H9"), Records({}, [])).deliveries == 0
