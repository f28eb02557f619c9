"""Reversals after delivery: which parts a reversal undoes, who must approve it, what a lookup means.

A refund after provisioning leaves the line in REVERSAL_PENDING. CS requests a
reversal; a line that paid more than the approval threshold waits in
REVERSAL_REQUESTED for an admin, a smaller one goes straight to REVERSING.
In REVERSING the bridge undoes each part that was (or may have been) applied,
by the billing core's reversal of the part's request_id. A reversal is
idempotent per request_id in a careful billing core, but an older one applies
a reversal sent twice twice, so a part whose call went out (SENT) is looked up
before any resend, exactly as an apply is (``bridge.core.inflight``). Pure.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bridge.core.inflight import may_be_applied, not_found_is_trusted
from bridge.core.models import OperationResult
from bridge.core.records import LineRecord, OperationRecord


class PartState(str, enum.Enum):
    """How far one part's reversal got, as far as the bridge knows."""

    PENDING = "PENDING"  # not sent, or every send was refused before anything changed
    SENT = "SENT"  # a call went out with no answer recorded: look it up before any resend
    REVERSED = "REVERSED"  # the billing core shows the operation reversed
    NOT_APPLIED = "NOT_APPLIED"  # the part was never applied: nothing to undo
    REFUSED = "REFUSED"  # REVERSAL_NOT_ALLOWED (e.g. the credit was spent): a person settles it


DONE = frozenset({PartState.REVERSED, PartState.NOT_APPLIED})
"""Parts with nothing left to do."""


@dataclass(frozen=True)
class ReversalPart:
    """One operation part a decided reversal undoes (the store's ``reversals`` row)."""

    id: int
    line_id: int
    part: int
    request_id: str
    state: PartState
    sent: dict[str, Any] | None = None  # the inflight markers of the last send
    operation_id: str | None = None
    error: str | None = None
    reversed_at: datetime | None = None


def needs_approval(line: LineRecord, threshold_fen: int) -> bool:
    """A line that paid more than the threshold is reversed only once an admin approves."""
    return line.payment_fen > threshold_fen


def parts_to_reverse(line: LineRecord) -> list[OperationRecord]:
    """The parts a reversal must undo: every part whose call went out (applied or maybe applied)."""
    return [op for op in line.operations if may_be_applied(op.state)]


def reversal_reason(line: LineRecord) -> str:
    """What the billing core is told (the same text on every send of the line's reversals)."""
    return f"refund {line.shop} {line.tid}:{line.oid}"


class Lookup(str, enum.Enum):
    """What a lookup of a SENT part's operation means for its reversal."""

    REVERSED = "REVERSED"  # the reversal landed: record it, never send again
    NOT_APPLIED = "NOT_APPLIED"  # the operation itself never landed (404, trusted): nothing to undo
    RESEND = "RESEND"  # still applied, and the last send has settled: it never landed, send again
    WAIT = "WAIT"  # still applied (or 404) but a send may still land: ask again later


def after_lookup(
    found: OperationResult | None,
    part: ReversalPart,
    operation: OperationRecord | None,
    *,
    settle_s: float,
    asked_at: datetime,
) -> Lookup:
    """Decide from ``GET /v1/operations/{request_id}`` (started at ``asked_at``) what to do next.

    A reversal is resent only once the last send can no longer land (the
    settle time passed since it was sent, or since the bridge gave up on it):
    a billing core that does not deduplicate would otherwise reverse twice.
    """
    if found is not None and found.status == "reversed":
        return Lookup.REVERSED
    if found is None:
        # the operation was never applied: trusted once the apply's own send has settled
        apply_sent = operation.result if operation is not None and operation.state != "APPLIED" else None
        if operation is not None and operation.state != "APPLIED":
            return Lookup.NOT_APPLIED if not_found_is_trusted(apply_sent, settle_s, asked_at) else Lookup.WAIT
        return Lookup.WAIT  # an applied operation the billing core does not know: ask again, never guess
    return Lookup.RESEND if not_found_is_trusted(part.sent, settle_s, asked_at) else Lookup.WAIT


def all_done(parts: Sequence[ReversalPart]) -> bool:
    return bool(parts) and all(p.state in DONE for p in parts)
