"""The store's role for reversals after delivery."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from bridge.core.records import (
    AuditNote,
    LineRecord,
    OperationRecord,
)
from bridge.core.reversals import PartState, ReversalPart
from bridge.core.states import LineState


class ReversalStorePort(Protocol):
    """Reversals after delivery: request, approval or rejection, each part's progress under the lease."""

    async def reversal_parts(self, line_id: int) -> list[ReversalPart]: ...

    async def request_reversal(
        self,
        line: LineRecord,
        parts: Sequence[OperationRecord],
        *,
        approval: bool,
        note: str,
        now: datetime,
        actor: str,
        audit: AuditNote | None = None,
    ) -> bool:
        """REVERSAL_PENDING → REVERSAL_REQUESTED (an admin decides) or REVERSING with its parts;
        the person's ``audit`` entry in the same transaction, only if the line moved (so below)."""
        ...

    async def approve_reversal(
        self,
        line: LineRecord,
        parts: Sequence[OperationRecord],
        *,
        note: str,
        now: datetime,
        actor: str,
        audit: AuditNote | None = None,
    ) -> bool:
        """REVERSAL_REQUESTED → REVERSING with its parts."""
        ...

    async def reject_reversal(
        self, line: LineRecord, *, reason: str, now: datetime, actor: str, audit: AuditNote | None = None
    ) -> bool:
        """REVERSAL_REQUESTED → REVERSAL_PENDING with the reason."""
        ...

    async def settle_reversal_by_hand(
        self, line: LineRecord, *, note: str, now: datetime, actor: str, audit: AuditNote | None = None
    ) -> bool:
        """REVERSAL_PENDING → RESOLVED: CS settled the refund outside the bridge."""
        ...

    async def reversal_sent(
        self, line: LineRecord, part: ReversalPart, now: datetime, actor: str, need_s: float = 0.0
    ) -> bool:
        """SENT before the call, under the line's lease (lasting more than ``need_s`` past ``now``)."""
        ...

    async def reversal_gave_up(
        self, line: LineRecord, part: ReversalPart, error: str, now: datetime
    ) -> bool: ...

    async def reversal_not_sent(
        self, line: LineRecord, part: ReversalPart, error: str, now: datetime
    ) -> bool: ...

    async def part_done(
        self,
        line: LineRecord,
        part: ReversalPart,
        state: PartState,
        *,
        operation_id: str | None,
        how: str,
        now: datetime,
        actor: str,
    ) -> LineState | None:
        """REVERSED / NOT_APPLIED; the last part moves the line to REVERSED. None: fenced out."""
        ...

    async def reversal_refused(
        self, line: LineRecord, part: ReversalPart, *, code: str, message: str, now: datetime, actor: str
    ) -> bool:
        """REFUSED, and the line back to CS (REVERSAL_PENDING, REVERSAL_NOT_ALLOWED)."""
        ...
