"""The order-line state machine: which transitions exist, as one table.

A line moves only along these edges; the store refuses any other move, so a
bug in a service cannot silently skip a step (for example deliver a line that
was never applied). The named groups of states and the states of trades'
write-back, operations and memos are defined here, once. Pure: no I/O.

    RECEIVED ──plan──▶ READY ──▶ SUBMITTED ──▶ APPLIED ──▶ DELIVERED
        │                │          │   ▲         │
        │                │          ▼   │         └──▶ REVERSAL_PENDING ──▶ REVERSED
        │                │        UNKNOWN (no answer: ask by request_id)
        ▼                ▼          │
     EXCEPTION ◀─────────┴──────────┘      HELD (refund requested) ──▶ CANCELLED

A reversal after provisioning (CS asks, an admin approves above the threshold):

    REVERSAL_PENDING ──request──▶ REVERSAL_REQUESTED ──approve──▶ REVERSING ──▶ REVERSED
           ▲  │ └──────────request (under the threshold)────────────▲  │
           │  └──resolve by hand──▶ RESOLVED                           │
           └───────reject (REVERSAL_REQUESTED) / cannot reverse (REVERSING)
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
    REVERSAL_REQUESTED = "REVERSAL_REQUESTED"  # CS asked for a reversal above the threshold: an admin decides
    REVERSING = "REVERSING"  # the reversal is decided: the bridge reverses each applied part


S = LineState

TRANSITIONS: dict[LineState, frozenset[LineState]] = {
    S.RECEIVED: frozenset({S.READY, S.EXCEPTION, S.HELD, S.CANCELLED}),
    # READY → UNKNOWN: a restored backup (``bridge recover``): the part may have been sent since
    S.READY: frozenset({S.READY, S.SUBMITTED, S.UNKNOWN, S.EXCEPTION, S.HELD, S.CANCELLED, S.RECEIVED}),
    S.SUBMITTED: frozenset({S.APPLIED, S.UNKNOWN, S.READY, S.EXCEPTION, S.SUBMITTED}),
    S.UNKNOWN: frozenset({S.UNKNOWN, S.SUBMITTED, S.APPLIED, S.EXCEPTION}),
    S.APPLIED: frozenset({S.DELIVERED, S.REVERSAL_PENDING}),
    S.DELIVERED: frozenset({S.REVERSAL_PENDING}),
    S.HELD: frozenset({S.RECEIVED, S.CANCELLED, S.EXCEPTION, S.REVERSAL_PENDING}),
    S.EXCEPTION: frozenset(
        {S.RECEIVED, S.READY, S.RESOLVED, S.CANCELLED, S.HELD, S.APPLIED, S.REVERSAL_PENDING}
    ),
    S.RESOLVED: frozenset(),
    S.CANCELLED: frozenset(),
    S.REVERSAL_PENDING: frozenset(
        {S.REVERSED, S.APPLIED, S.DELIVERED, S.REVERSAL_REQUESTED, S.REVERSING, S.RESOLVED}
    ),
    S.REVERSAL_REQUESTED: frozenset({S.REVERSING, S.REVERSAL_PENDING}),
    S.REVERSING: frozenset({S.REVERSED, S.REVERSAL_PENDING}),
    S.REVERSED: frozenset(),
}

# ------------------------------------------------------------ groups of states (defined once)

PROVISIONABLE = frozenset({S.READY, S.SUBMITTED, S.UNKNOWN})
"""States the fulfilment worker claims (and from which a part is submitted)."""

IN_FLIGHT = frozenset({S.RECEIVED, S.READY, S.SUBMITTED, S.UNKNOWN})
"""Not yet provisioned and still moving on its own: moves among these never change a trade's delivery."""

BUSY = IN_FLIGHT | {S.APPLIED}
"""Lines the bridge still has to move on its own (not waiting for a person, not final)."""

NEEDS_A_PERSON = (S.EXCEPTION, S.HELD, S.REVERSAL_PENDING, S.REVERSAL_REQUESTED)
"""States shown in the console's queue, in the order offered there: the bridge waits for a person."""

NOT_YET_PROVISIONED = frozenset({S.RECEIVED, S.READY, S.EXCEPTION, S.HELD})
"""States in which a refund request stops provisioning (SUBMITTED/UNKNOWN first settle)."""

PROVISIONED = frozenset({S.APPLIED, S.DELIVERED})
"""Every part applied: a refund now goes to CS as a reversal to decide."""

REFRESHABLE = frozenset({S.APPLIED, S.DELIVERED, S.RESOLVED, S.REVERSAL_PENDING, S.REVERSAL_REQUESTED})
"""The card may hold this line's entitlements (provisioned by the bridge or by hand)."""

CANCELLABLE = frozenset({S.EXCEPTION, S.HELD})
"""A person may cancel a line in these for a refund (when no part may have been applied);
when one may have been, the refund goes to CS as a reversal (REVERSAL_PENDING) instead."""

NOTHING_TO_DELIVER = frozenset(
    {S.CANCELLED, S.RESOLVED, S.REVERSED, S.REVERSAL_PENDING, S.REVERSAL_REQUESTED, S.REVERSING}
)
"""A trade whose lines are all in these has nothing to write back."""

SETTLED_FOR_DELIVERY = frozenset({S.APPLIED, S.RESOLVED, S.CANCELLED, S.DELIVERED})
"""A trade is written back once every line is in one of these and one is APPLIED."""

REVERSAL_WAITING = frozenset({S.REVERSAL_PENDING, S.REVERSAL_REQUESTED, S.REVERSING})
"""A refund after provisioning not yet settled: decided by a person, then reversed by the bridge."""

AWAITING_DELIVERY = frozenset({S.RECEIVED, S.READY, S.SUBMITTED, S.UNKNOWN, S.APPLIED, S.EXCEPTION})
"""Paid and not yet shown delivered on the storefront, nor cancelled, refunded or settled by hand: the
lines held against their delivery deadlines (``bridge.core.deadlines``). HELD waits on the buyer's
refund, the reversal states follow a refund: neither is meant to be delivered."""

FINAL = frozenset(s for s, nxt in TRANSITIONS.items() if not nxt)
"""No move leaves these."""


# ------------------------------------------------- other rows' states (stored as these strings)


class DeliveryState(str, enum.Enum):
    """A trade's write-back to the marketplace."""

    OPEN = "OPEN"  # lines still moving
    DUE = "DUE"  # every line settled, one applied: write back
    DELIVERED = "DELIVERED"  # the marketplace shows it delivered
    NOTHING = "NOTHING"  # nothing to deliver (cancelled, resolved, reversed)
    UNREADABLE = "UNREADABLE"  # never read well: a placeholder for CS, no lines (bridge.store.unreadable)


class OperationState(str, enum.Enum):
    """One billing operation part, as far as the bridge knows."""

    PENDING = "PENDING"  # never sent, or every send was refused: not applied
    SENT = "SENT"  # committed with SUBMITTED: a call is (or was, if we crashed) in flight; ask first
    UNKNOWN = "UNKNOWN"  # maybe applied (answer lost, 409, unreadable answer): ask by request_id first
    APPLIED = "APPLIED"


class MemoState(str, enum.Enum):
    """A seller memo waiting to be written."""

    PENDING = "PENDING"
    DONE = "DONE"


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


def delivery_state(states: list[LineState]) -> DeliveryState:
    """What a trade not yet delivered should show, from its lines' states."""
    if trade_ready_for_delivery(states):
        return DeliveryState.DUE
    if states and all(s in NOTHING_TO_DELIVER for s in states):
        return DeliveryState.NOTHING
    return DeliveryState.OPEN
