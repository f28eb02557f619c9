"""What a channel sees of its order: each line's state in the order API's own words, and the order's.

The one owner of the API's status vocabulary (docs/api.md, "Order states";
the OpenAPI document's ``LineState`` and ``OrderState`` follow it). A line's
word comes from its pipeline state by ``LINE_STATES``, one row per
``LineState``:

=================  =====================================================================
received           not yet taken by the pipeline (the order is stored, its lines are not)
pending            still moving: planned, being provisioned, held, a refund on its way
delivered          provisioned and delivered; ``codes`` holds a card-code line's codes
needs_attention    a person decides (``reason`` and ``reason_text`` say why)
refunded           cancelled before provisioning: nothing was credited
reversed           credited, then undone in the billing core
resolved           closed by a person without the bridge provisioning it (ask the operator)
=================  =====================================================================

The order's state: ``received`` until its lines are stored; ``needs_attention``
when any line needs a person; ``pending`` while any line still moves; else the
lines' one final word, or ``settled`` when they end differently (some delivered,
some refunded). Every state but ``received`` and ``pending`` settles the order
(``SETTLED``): a callback announces it (``bridge.store.api_settle``).

``ApiOrderView.document`` is the JSON the API answers and the callbacks carry:
card numbers masked (``bridge.core.masking``), times in China time. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from bridge.core.api_orders import ApiOrder, ApiOrderRecord
from bridge.core.masking import mask_card
from bridge.core.models import CST
from bridge.core.reasons import reason_text
from bridge.core.states import LineState

__all__ = [
    "DELIVERED",
    "LINE_STATES",
    "NEEDS_ATTENTION",
    "PENDING",
    "RECEIVED",
    "REFUNDED",
    "RESOLVED",
    "REVERSED",
    "SETTLED",
    "SETTLED_MIX",
    "ApiOrderView",
    "PipelineLine",
    "api_time",
    "line_state",
    "order_state",
]

RECEIVED = "received"
PENDING = "pending"
DELIVERED = "delivered"
NEEDS_ATTENTION = "needs_attention"
REFUNDED = "refunded"
REVERSED = "reversed"
RESOLVED = "resolved"
SETTLED_MIX = "settled"

S = LineState

LINE_STATES: dict[LineState, str] = {
    S.RECEIVED: PENDING,
    S.READY: PENDING,
    S.SUBMITTED: PENDING,
    S.UNKNOWN: PENDING,
    S.APPLIED: PENDING,  # credited: the delivery follows at once
    S.HELD: PENDING,  # a refund asked before provisioning: cancelled next
    S.REVERSAL_PENDING: PENDING,  # a refund after provisioning: CS takes the reversal path
    S.REVERSING: PENDING,
    S.DELIVERED: DELIVERED,
    S.EXCEPTION: NEEDS_ATTENTION,
    S.REVERSAL_REQUESTED: NEEDS_ATTENTION,  # a reversal above the threshold waits for an admin
    S.CANCELLED: REFUNDED,
    S.REVERSED: REVERSED,
    S.RESOLVED: RESOLVED,
}
"""Each pipeline state's word in the API: the one table."""

SETTLED = frozenset({DELIVERED, NEEDS_ATTENTION, REFUNDED, REVERSED, RESOLVED, SETTLED_MIX})
"""The order states a callback announces."""


@dataclass(frozen=True)
class PipelineLine:
    """One of the order's lines as the pipeline holds it (oid: the body's line index, from 1)."""

    oid: str
    state: LineState
    reason: str | None = None


def line_state(line: PipelineLine | None) -> str:
    """A line's word; ``received`` while the pipeline has not stored it."""
    return RECEIVED if line is None else LINE_STATES[line.state]


def order_state(line_states: Sequence[str]) -> str:
    """The order's word from its lines' words (see the module's docstring)."""
    if all(s == RECEIVED for s in line_states):
        return RECEIVED
    if NEEDS_ATTENTION in line_states:
        return NEEDS_ATTENTION
    if PENDING in line_states or RECEIVED in line_states:
        return PENDING
    finals = set(line_states)
    return finals.pop() if len(finals) == 1 else SETTLED_MIX


def api_time(at: datetime | None) -> str | None:
    """A time as the API writes it: ISO 8601 in China time."""
    return None if at is None else at.astimezone(CST).isoformat()


@dataclass(frozen=True)
class ApiOrderView:
    """An order with its pipeline lines (by oid) and the card codes delivered (by oid)."""

    order: ApiOrderRecord
    lines: Mapping[str, PipelineLine] = field(default_factory=dict)
    codes: Mapping[str, Sequence[str]] = field(default_factory=dict)

    @cached_property
    def sent(self) -> ApiOrder:
        """The order as the client sent it (read from the stored body once)."""
        return self.order.order()

    def line_states(self) -> list[str]:
        return [line_state(self.lines.get(str(n))) for n in range(1, len(self.sent.lines) + 1)]

    @property
    def state(self) -> str:
        return order_state(self.line_states())

    def document(self) -> dict[str, Any]:
        """The order as the API shows it (``GET /api/v1/orders/{id}``, a callback's body)."""
        sent, order = self.sent, self.order
        states = self.line_states()
        return {
            "order_id": order.order_id,
            "state": order_state(states),
            "paid_at": api_time(order.paid_at),
            "received_at": api_time(order.received_at),
            "modified_at": api_time(order.modified_at),
            "refund_requested_at": api_time(order.refund_requested_at),
            "callback_url": sent.callback_url,
            "lines": [
                {
                    "sku": line.sku,
                    "product_code": line.product_code,
                    "quantity": line.quantity,
                    "amount_fen": line.amount_fen,
                    "card_no": None if line.card_no is None else mask_card(line.card_no),
                    **self._line(str(n), state),
                }
                for n, (line, state) in enumerate(zip(sent.lines, states, strict=True), start=1)
            ],
        }

    def _line(self, oid: str, state: str) -> dict[str, Any]:
        """A line's state, why it needs a person (only then), and its codes (only once delivered)."""
        pipeline = self.lines.get(oid)
        reason = pipeline.reason if pipeline is not None and state == NEEDS_ATTENTION else None
        return {
            "state": state,
            "reason": reason,
            "reason_text": reason_text(reason or "") if state == NEEDS_ATTENTION else None,
            "codes": list(self.codes.get(oid, ())) if state == DELIVERED else [],
        }
