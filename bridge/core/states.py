"""The order-line state machine: which transitions exist, as one table.

A line moves only along these edges; the store refuses any other move, so a
bug in a service cannot silently skip a step (for example deliver a line that
was never applied). Pure: no I/O.

    RECEIVED ──plan──▶ READY ──▶ SUBMITTED ──▶ APPLIED ──▶ DELIVERED
        │                │          │   ▲         │
        │                │          ▼   │         └──▶ REVERSAL_PENDING ──▶ REVERSED
        │                │        UNKNOWN (no answer: ask by request_id)
        ▼                ▼          │
     EXCEPTION ◀─────────┴──────────┘      HELD (refund requested) ──▶ CANCELLED
"""

from __future__ import annotations

import enum


class LineState(str, enum.Enum):
    RECEIVED = "RECEIVED"  # stored, not yet planned
    READY = "READY"  # planned: product, card and request_ids chosen
    SUBMITTED = "SUBMITTED"  # a billing call may be in flight
    UNKNOWN = "UNKNOWN"  # the answer was lost: reconcile by request_id
    APPLIED = "APPLIED"  # every part applied in the billing core
    DELIVERED = "DELIVERED"  # the trade is marked delivered in the marketplace
    HELD = "HELD"  # refund requested before provisioning
    CANCELLED = "CANCELLED"  # refunded or closed before provisioning
    EXCEPTION = "EXCEPTION"  # a person decides (reason code on the line)
    RESOLVED = "RESOLVED"  # a person settled it without provisioning
    REVERSAL_PENDING = "REVERSAL_PENDING"  # refund requested after provisioning
    REVERSED = "REVERSED"  # the billing operation was undone


S = LineState

TRANSITIONS: dict[LineState, frozenset[LineState]] = {
    S.RECEIVED: frozenset({S.READY, S.EXCEPTION, S.HELD, S.CANCELLED}),
    S.READY: frozenset({S.READY, S.SUBMITTED, S.EXCEPTION, S.HELD, S.CANCELLED, S.RECEIVED}),
    S.SUBMITTED: frozenset({S.APPLIED, S.UNKNOWN, S.READY, S.EXCEPTION, S.SUBMITTED}),
    S.UNKNOWN: frozenset({S.UNKNOWN, S.SUBMITTED, S.APPLIED, S.EXCEPTION}),
    S.APPLIED: frozenset({S.DELIVERED, S.REVERSAL_PENDING}),
    S.DELIVERED: frozenset({S.REVERSAL_PENDING}),
    S.HELD: frozenset({S.RECEIVED, S.CANCELLED, S.EXCEPTION}),
    S.EXCEPTION: frozenset({S.RECEIVED, S.READY, S.RESOLVED, S.CANCELLED, S.HELD, S.APPLIED}),
    S.RESOLVED: frozenset(),
    S.CANCELLED: frozenset(),
    S.REVERSAL_PENDING: frozenset({S.REVERSED, S.APPLIED, S.DELIVERED}),
    S.REVERSED: frozenset(),
}

PROVISIONABLE = frozenset({S.READY, S.SUBMITTED, S.UNKNOWN})
"""States the fulfilment worker claims."""

NOT_YET_PROVISIONED = frozenset({S.RECEIVED, S.READY, S.EXCEPTION, S.HELD})
"""States in which a refund request stops provisioning (SUBMITTED/UNKNOWN first settle)."""

SETTLED_FOR_DELIVERY = frozenset({S.APPLIED, S.RESOLVED, S.CANCELLED, S.DELIVERED})
"""A trade is written back once every line is in one of these and one is APPLIED."""

FINAL = frozenset(s for s, nxt in TRANSITIONS.items() if not nxt)


class IllegalTransition(ValueError):
    """A service asked for a move the table does not allow."""


def check_transition(current: LineState, target: LineState) -> None:
    if target not in TRANSITIONS[current]:
        raise IllegalTransition(f"line cannot move from {current.value} to {target.value}")


def trade_ready_for_delivery(states: list[LineState]) -> bool:
    """Every line settled, and at least one actually applied (something to deliver)."""
    return (
        bool(states)
        and all(s in SETTLED_FOR_DELIVERY for s in states)
        and any(s is S.APPLIED for s in states)
    )
