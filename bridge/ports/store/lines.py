"""The store's roles for lines as work: planning and claims, billing outcomes, the named moves.

Every move of a line is a compare-and-set on the state it comes from: a method that moves a line
returns False (and changes nothing) when the line is no longer where the caller saw it. No method
takes raw column values: each kind of move has a name."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol

from bridge.core.ceilings import Size
from bridge.core.models import Operation, OperationResult
from bridge.core.reasons import Memo
from bridge.core.records import (
    Applied,
    AuditNote,
    LineRecord,
    OperationRecord,
    PlannedLine,
)
from bridge.core.states import PROVISIONABLE, PROVISIONED, LineState
from bridge.core.trades import Trade


class LineStorePort(Protocol):
    """Lines as work: planning (READY with its operations), claims with a lease, renewal and release."""

    async def trade_for_planning(self, line: LineRecord) -> Trade: ...

    async def trade_sizes(self, trade_ids: Sequence[int]) -> dict[int, Size]:
        """Each trade's lines added up (payment, quantity), by trade id, for the ceilings."""
        ...

    async def mark_ready(
        self,
        line: LineRecord,
        ops: Sequence[Operation],
        *,
        card_no: str | None,
        product_code: str,
        product_name: str,
        delivery_mode: str,
        mapping_version: str,
        now: datetime,
        actor: str,
        frm: Iterable[LineState] = (LineState.RECEIVED,),
    ) -> bool:
        """→ READY with the line's operations (request_ids chosen once, kept forever)."""
        ...

    async def mark_ready_many(
        self, planned: Sequence[PlannedLine], *, now: datetime, actor: str
    ) -> list[bool]:
        """``mark_ready`` for several lines in one transaction; whether each became READY, in order.
        A line planned again from EXCEPTION gets a fresh retry budget; a planned line's ``audit``
        entry (a person's re-plan) is written in the same transaction, only if it became READY."""
        ...

    async def claim_lines(
        self,
        owner: str,
        now: datetime,
        lease_s: float,
        limit: int,
        states: Iterable[LineState] = PROVISIONABLE,
    ) -> list[LineRecord]:
        """Lease up to ``limit`` due lines to ``owner``; a live lease is never taken over."""
        ...

    async def renew_lease(self, line: LineRecord, now: datetime, lease_s: float) -> bool:
        """Extend a live lease to ``now + lease_s``; False if it ran out or was taken over."""
        ...

    async def release(self, line: LineRecord, next_at: datetime | None = None) -> bool:
        """Give up the lease ``line`` was claimed with (fenced by its owner and token); with
        ``next_at``, the line is not due again before then."""
        ...

    async def sweep_leases(self, now: datetime) -> int: ...

    async def lines_in(self, states: Iterable[LineState], limit: int = 1000) -> list[LineRecord]: ...

    async def skus_in(self, states: Iterable[LineState]) -> set[str]:
        """The SKUs (``outer_sku_id``) of the lines in these states, each once."""
        ...


class OperationStorePort(Protocol):
    """A billing call's bookends: SUBMITTED before it; applied, unknown, retry or exception after it."""

    async def begin_submit(
        self, line: LineRecord, op: OperationRecord, owner: str, now: datetime, need_s: float = 0.0
    ) -> bool:
        """Commit SUBMITTED before the call; False unless ``owner`` still holds ``line``'s lease
        (same token) and it lasts more than ``need_s`` past ``now``."""
        ...

    async def record_applied(
        self,
        line: LineRecord,
        op: OperationRecord,
        result: OperationResult,
        actor: str,
        now: datetime,
        how: str = "applied",
    ) -> LineRecord | None:
        """The line after recording the part applied; None if the lease moved on (fenced out)."""
        ...

    async def record_applied_many(
        self, applied: Sequence[Applied], actor: str, now: datetime
    ) -> list[LineRecord | None]:
        """Several applied parts of different lines in one transaction, each fenced by its line's
        lease; for each, the line as it now is, or None if fenced out."""
        ...

    async def record_unknown(
        self,
        line: LineRecord,
        op: OperationRecord,
        *,
        error: str,
        actor: str,
        now: datetime,
        next_at: datetime,
    ) -> bool: ...

    async def record_retry(
        self,
        line: LineRecord,
        op: OperationRecord,
        *,
        error: str,
        actor: str,
        now: datetime,
        next_at: datetime,
        count_attempt: bool,
        refused: bool = False,
    ) -> bool: ...

    async def record_exception(
        self,
        line: LineRecord,
        *,
        reason: str,
        message: str,
        actor: str,
        now: datetime,
        memo: Memo | None,
        detail: dict[str, Any] | None = None,
        not_applied: Sequence[OperationRecord] = (),
    ) -> bool: ...


class MoveStorePort(Protocol):
    """The named moves of a line (refunds, holds, parked lines released, CS's resolve and cancel)."""

    async def hold(self, line: LineRecord, *, refund_status: str, now: datetime, actor: str) -> bool:
        """Refund requested before provisioning: HELD."""
        ...

    async def release_hold(self, line: LineRecord, *, refund_status: str, now: datetime, actor: str) -> bool:
        """Refund request withdrawn: HELD → RECEIVED."""
        ...

    async def cancel_refunded(
        self, line: LineRecord, *, refund_status: str, now: datetime, actor: str
    ) -> bool:
        """Refunded or closed before provisioning: CANCELLED."""
        ...

    async def refund_after_delivery(
        self,
        line: LineRecord,
        *,
        detail: dict[str, Any],
        memo: Memo,
        now: datetime,
        actor: str,
        frm: Iterable[LineState] = PROVISIONED,
        audit: AuditNote | None = None,
    ) -> bool:
        """Refunded or closed after provisioning: REVERSAL_PENDING, with a memo for CS (and a
        person's ``audit`` entry in the same transaction, written only if the line moved)."""
        ...

    async def release_parked(
        self, line: LineRecord, *, mapping_version: str, now: datetime, actor: str
    ) -> bool:
        """EXCEPTION → RECEIVED now that the line's SKU is mapped."""
        ...

    async def approve_over_ceiling(
        self, line: LineRecord, *, now: datetime, actor: str, audit: AuditNote | None = None
    ) -> bool:
        """An admin lets a line past its ceilings: EXCEPTION → RECEIVED, the approval kept on the
        line, the admin's ``audit`` entry in the same transaction (written only if the line moved)."""
        ...

    async def resolve(
        self,
        line: LineRecord,
        *,
        resolution: str,
        note: str,
        now: datetime,
        actor: str,
        audit: AuditNote | None = None,
    ) -> bool:
        """A person settled an EXCEPTION line without provisioning: RESOLVED, ``audit`` with it."""
        ...

    async def cancel_for_refund(
        self,
        line: LineRecord,
        *,
        note: str,
        memo: Memo,
        now: datetime,
        actor: str,
        audit: AuditNote | None = None,
    ) -> bool:
        """A person cancelled a line never provisioned: CANCELLED, a memo asks for the refund;
        ``audit`` with it."""
        ...
