"""Named moves of a line that are not billing outcomes: refunds, a person's decisions, a new mapping.

Each is one transaction: the compare-and-set of ``bridge.store.transitions``
(with its event row and memo), then the columns this move sets, only if the
line moved. ``move`` is the plain move that sets nothing else. A person's move takes
its ``AuditNote``: the audit row is inserted in the same transaction, only if the
line moved (``bridge.store.audit``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from bridge.core.reasons import Memo
from bridge.core.records import AuditNote, LineRecord
from bridge.core.states import CANCELLABLE, NOT_YET_PROVISIONED, PROVISIONED, LineState
from bridge.store.audit import audit_move
from bridge.store.transitions import move_line

S = LineState


class MoveRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def move(
        self,
        line: LineRecord,
        to: LineState,
        *,
        now: datetime,
        actor: str,
        kind: str = "state",
        frm: Iterable[LineState] | None = None,
        reason: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> bool:
        """Move a line if it is still in one of ``frm`` (default: its recorded state)."""
        async with self._engine.begin() as conn:
            return await move_line(
                conn, line, to, now=now, actor=actor, kind=kind, frm=frm, reason=reason, detail=detail
            )

    async def hold(self, line: LineRecord, *, refund_status: str, now: datetime, actor: str) -> bool:
        """A refund was requested before provisioning: stop the line (HELD) until it is settled."""
        async with self._engine.begin() as conn:
            return await move_line(
                conn,
                line,
                S.HELD,
                now=now,
                actor=actor,
                kind="refund",
                frm=NOT_YET_PROVISIONED - {S.HELD},
                reason="REFUND_REQUESTED",
                detail={"refund_status": refund_status, "closed": False},
            )

    async def release_hold(self, line: LineRecord, *, refund_status: str, now: datetime, actor: str) -> bool:
        """The refund request was withdrawn: HELD → RECEIVED, planned again."""
        async with self._engine.begin() as conn:
            return await move_line(
                conn,
                line,
                S.RECEIVED,
                now=now,
                actor=actor,
                kind="refund_withdrawn",
                frm=(S.HELD,),
                detail={"refund_status": refund_status},
            )

    async def cancel_refunded(
        self, line: LineRecord, *, refund_status: str, now: datetime, actor: str
    ) -> bool:
        """Refunded or closed before provisioning: CANCELLED, nothing provisioned."""
        async with self._engine.begin() as conn:
            return await move_line(
                conn,
                line,
                S.CANCELLED,
                now=now,
                actor=actor,
                kind="refund",
                frm=NOT_YET_PROVISIONED - {S.CANCELLED},
                reason="REFUNDED",
                detail={"refund_status": refund_status, "closed": True},
            )

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
        """Refunded or closed after provisioning: REVERSAL_PENDING, and a memo asks CS to decide
        (a person's ``audit`` entry with it)."""
        async with self._engine.begin() as conn:
            moved = await move_line(
                conn,
                line,
                S.REVERSAL_PENDING,
                now=now,
                actor=actor,
                kind="refund",
                frm=frm,
                reason="REFUND_AFTER_DELIVERY",
                detail=detail,
                memo=memo,
            )
            return await audit_move(conn, moved, audit, line, S.REVERSAL_PENDING)

    async def release_parked(
        self, line: LineRecord, *, mapping_version: str, now: datetime, actor: str
    ) -> bool:
        """EXCEPTION → RECEIVED now that the line's SKU is mapped: reason cleared, planned again."""
        async with self._engine.begin() as conn:
            moved = await move_line(
                conn,
                line,
                S.RECEIVED,
                now=now,
                actor=actor,
                kind="mapping_added",
                frm=(S.EXCEPTION,),
                detail={"mapping_version": mapping_version},
                sets={"reason": None, "reason_detail": None},
            )
            return moved

    async def approve_over_ceiling(
        self, line: LineRecord, *, now: datetime, actor: str, audit: AuditNote | None = None
    ) -> bool:
        """An admin lets a line past its ceilings: EXCEPTION → RECEIVED, planned again by the pipeline,
        the approval kept on the line (never stopped by a ceiling again), the admin's ``audit`` entry
        with it."""
        async with self._engine.begin() as conn:
            moved = await move_line(
                conn,
                line,
                S.RECEIVED,
                now=now,
                actor=actor,
                kind="ceiling_approved",
                frm=(S.EXCEPTION,),
                detail={"reason": line.reason, "amount_fen": line.payment_fen, "quantity": line.quantity},
                sets={"reason": None, "reason_detail": None, "ceiling_approved_by": actor},
            )
            return await audit_move(conn, moved, audit, line, S.RECEIVED)

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
        """A person settled an EXCEPTION line without the bridge provisioning it: RESOLVED (and the
        person's ``audit`` entry with it)."""
        async with self._engine.begin() as conn:
            moved = await move_line(
                conn,
                line,
                S.RESOLVED,
                now=now,
                actor=actor,
                kind="resolved",
                frm=(S.EXCEPTION,),
                detail={"resolution": resolution, "note": note},
                sets={"lease_owner": None, "lease_until": None, "next_attempt_at": None},
            )
            return await audit_move(conn, moved, audit, line, S.RESOLVED)

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
        """A person cancelled a line never provisioned (reason REFUND_BY_CS); the memo asks for the
        refund, the person's ``audit`` entry commits with it."""
        async with self._engine.begin() as conn:
            moved = await move_line(
                conn,
                line,
                S.CANCELLED,
                now=now,
                actor=actor,
                kind="cancelled_for_refund",
                frm=CANCELLABLE,
                detail={"refund": True, "note": note},
                memo=memo,
                sets={"reason": "REFUND_BY_CS", "reason_detail": note or None, "next_attempt_at": None},
            )
            return await audit_move(conn, moved, audit, line, S.CANCELLED)
