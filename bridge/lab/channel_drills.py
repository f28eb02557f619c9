"""The channel client's misbehaviour that the order API must refuse, each with its stable code.

Each drill sends one bad request and records the code it expected beside the
one it got (``ChannelLog.refusals``; ``unexpected`` lists every drill that got
another): a request signed with the wrong secret, one with a timestamp 15
minutes old, an unknown key id, no signature at all, a body one byte over the
API's cap, another order under an id already used, an accepted request sent
again byte for byte (a replay), and refunds out of order: a refund of an order
not placed yet (the order, placed afterwards, must go through untouched) and a
refund sent twice (both answered alike, neither a server error).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from bridge.lab.channel import ORDERS_PATH, Answer, ChannelClient, api_body
from bridge.lab.order_kinds import PlannedOrder

__all__ = ["refund_before_order", "refund_twice", "refusal_drills", "unexpected"]

_OUT_OF_THE_WAY = 9_000_000  # drill order numbers, apart from the run's own


def _note(client: ChannelClient, drill: str, expected: str, answer: Answer) -> None:
    got = answer.code or str(answer.status)
    client.log.refusals.append({"drill": drill, "expected": expected, "got": got, "status": answer.status})


def unexpected(refusals: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The drills whose answer was not the one expected."""
    return [r for r in refusals if r["got"] != r["expected"]]


async def refusal_drills(client: ChannelClient, order: PlannedOrder, max_body_bytes: int) -> None:
    """Every signing and size refusal once, with ``order`` (a good one) as the body; the order is then
    placed (and recorded as placed) to be replayed and reused."""
    order_id = client.order_id(_OUT_OF_THE_WAY)
    body = json.dumps(api_body(order, order_id, datetime.now(UTC), client.callback_url)).encode()
    target = ORDERS_PATH
    signed = client.headers
    cases: list[tuple[str, str, bytes, dict[str, str]]] = [
        ("wrong_secret", "API_BAD_SIGNATURE", body, signed("POST", target, body, secret="not-the-secret")),
        ("stale_timestamp", "API_STALE_TIMESTAMP", body, signed("POST", target, body, off_s=-900)),
        ("unknown_key", "API_UNKNOWN_KEY", body, signed("POST", target, body) | {"X-Bridge-Key": "nobody"}),
        ("unsigned", "API_UNSIGNED", body, {"Content-Type": "application/json"}),
    ]
    big = _padded(body, max_body_bytes + 1)
    cases.append(("oversized_body", "API_BODY_TOO_LARGE", big, signed("POST", target, big)))
    for drill, expected, sent, headers in cases:
        _note(client, drill, expected, await client.raw("POST", target, sent, headers))
    # none of those was stored: the order goes in now, then comes back as a replay and as a conflict
    headers = signed("POST", target, body)
    placed = await client.raw("POST", target, body, headers)
    _note(client, "first_placement", "201", Answer(placed.status, None))
    _note(client, "replayed_request", "API_REPLAYED", await client.raw("POST", target, body, headers))
    other = json.loads(body) | {"paid_at": "2026-01-01T00:00:00+08:00"}
    conflict = await client.send("POST", target, json.dumps(other).encode())
    _note(client, "order_id_reused", "API_ORDER_CONFLICT", conflict)
    if placed.status == 201:
        client.placed_as(order, order_id)


async def refund_before_order(client: ChannelClient, n: int) -> None:
    """A refund of the n-th order before it is placed: no such order yet (404 ``API_NOT_FOUND``)."""
    _note(client, "refund_before_order", "API_NOT_FOUND", await _refund(client, client.order_id(n)))


async def refund_twice(client: ChannelClient, order_id: str) -> None:
    """The same refund twice: both accepted (2xx; the second may find the order further on)."""
    for drill in ("refund", "refund_again"):
        answer = await _refund(client, order_id)
        accepted = 200 <= answer.status < 300
        _note(client, drill, "2xx", Answer(answer.status, {"error": {"code": "2xx"}}) if accepted else answer)
    client.log.refunded.append(order_id)


async def _refund(client: ChannelClient, order_id: str) -> Answer:
    return await client.send("POST", f"{ORDERS_PATH}/{order_id}/refund", b"{}")


def _padded(body: bytes, size: int) -> bytes:
    """``body`` (a JSON object) grown to ``size`` bytes with a padding field."""
    head = body[:-1] + b', "padding": "'
    return head + b"x" * max(0, size - len(head) - 2) + b'"}'
