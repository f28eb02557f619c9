"""Reversals after delivery: the request, the admin's decision and each part's progress.

Every step is one transaction; a person's step (request, approval, rejection,
settlement by hand) commits its audit entry in it. Deciding a reversal (a request under the
threshold, or an admin's approval) moves the line into REVERSING and writes
one ``reversals`` row per part to undo in the same transaction, so a crash
right after leaves work the reversal job finds. A part's progress (SENT
before the call, REVERSED / NOT_APPLIED / REFUSED after it) is written only
under the lease the line was claimed with (``bridge.store.fencing``): a
worker whose lease was taken over writes nothing, and the new holder looks
the part up before any resend. The last part done moves the line to REVERSED
in the same transaction (its event and memo with it); a refusal moves it back
to REVERSAL_PENDING with the reason REVERSAL_NOT_ALLOWED for CS.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bridge.core.inflight import gave_up_marker, sent_marker
from bridge.core.records import AuditNote, LineRecord, OperationRecord
from bridge.core.reversals import DONE, PartState, ReversalPart
from bridge.core.states import LineState
from bridge.store.audit import audit_move
from bridge.store.fencing import held
from bridge.store.schema import insert_ignore, reversals
from bridge.store.timeline import add_events, event_row
from bridge.store.transitions import Move, move_line, move_lines

S = LineState
P = PartState
_NO_LEASE = {"lease_owner": None, "lease_until": None, "next_attempt_at": None}


def _part(row: RowMapping) -> ReversalPart:
    return ReversalPart(
        id=row["id"],
        line_id=row["line_id"],
        part=row["part"],
        request_id=row["request_id"],
        state=PartState(row["state"]),
        sent=row["sent"],
        operation_id=row["operation_id"],
        error=row["error"],
        reversed_at=row["reversed_at"],
    )


class ReversalRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def reversal_parts(self, line_id: int) -> list[ReversalPart]:
        """The line's parts to reverse, by part number (none before a reversal is decided)."""
        query = select(reversals).where(reversals.c.line_id == line_id).order_by(reversals.c.part)
        async with self._engine.connect() as conn:
            return [_part(r) for r in (await conn.execute(query)).mappings().all()]

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
        """REVERSAL_PENDING → REVERSAL_REQUESTED (``approval``: an admin decides) or → REVERSING with
        the parts to undo; False when the line is no longer waiting (a second click). The person's
        ``audit`` entry commits with the move (only if it was made)."""
        detail = {"note": note, "amount_fen": line.payment_fen, "parts": [p.request_id for p in parts]}
        async with self._engine.begin() as conn:
            if approval:
                moved = await move_line(
                    conn,
                    line,
                    S.REVERSAL_REQUESTED,
                    now=now,
                    actor=actor,
                    kind="reversal_requested",
                    frm=(S.REVERSAL_PENDING,),
                    detail=detail,
                    sets={"reason": "REVERSAL_APPROVAL", "reason_detail": note or None},
                )
                return await audit_move(conn, moved, audit, line, S.REVERSAL_REQUESTED)
            moved = await self._decided(
                conn, line, parts, S.REVERSAL_PENDING, "reversal_requested", detail, now, actor
            )
            return await audit_move(conn, moved, audit, line, S.REVERSING)

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
        """An admin approved: REVERSAL_REQUESTED → REVERSING with the parts to undo (``audit`` with it)."""
        detail = {"note": note, "amount_fen": line.payment_fen, "parts": [p.request_id for p in parts]}
        async with self._engine.begin() as conn:
            moved = await self._decided(
                conn, line, parts, S.REVERSAL_REQUESTED, "reversal_approved", detail, now, actor
            )
            return await audit_move(conn, moved, audit, line, S.REVERSING)

    async def _decided(
        self,
        conn: AsyncConnection,
        line: LineRecord,
        parts: Sequence[OperationRecord],
        frm: LineState,
        kind: str,
        detail: dict[str, Any],
        now: datetime,
        actor: str,
    ) -> bool:
        moved = await move_line(
            conn,
            line,
            S.REVERSING,
            now=now,
            actor=actor,
            kind=kind,
            frm=(frm,),
            detail=detail,
            sets={"reason": None, "reason_detail": None, **_NO_LEASE},
        )
        if not moved:
            return False
        rows = [
            {
                "line_id": line.id,
                "part": p.part,
                "request_id": p.request_id,
                "state": P.PENDING.value,
                "updated_at": now,
            }
            for p in parts
        ]
        if rows:
            await conn.execute(insert_ignore(conn, reversals, ["request_id"]), rows)
        # a part refused last time is tried again; one reversed (or never applied) stays as it is
        await conn.execute(
            reversals.update()
            .where(and_(reversals.c.line_id == line.id, reversals.c.state == P.REFUSED.value))
            .values(state=P.PENDING.value, error=None, updated_at=now)
        )
        return True

    async def reject_reversal(
        self, line: LineRecord, *, reason: str, now: datetime, actor: str, audit: AuditNote | None = None
    ) -> bool:
        """An admin rejected: REVERSAL_REQUESTED → REVERSAL_PENDING with the reason shown to CS
        (``audit`` with it)."""
        async with self._engine.begin() as conn:
            moved = await move_line(
                conn,
                line,
                S.REVERSAL_PENDING,
                now=now,
                actor=actor,
                kind="reversal_rejected",
                frm=(S.REVERSAL_REQUESTED,),
                detail={"reason": reason},
                sets={"reason": "REVERSAL_REJECTED", "reason_detail": reason},
            )
            return await audit_move(conn, moved, audit, line, S.REVERSAL_PENDING)

    async def settle_reversal_by_hand(
        self, line: LineRecord, *, note: str, now: datetime, actor: str, audit: AuditNote | None = None
    ) -> bool:
        """CS settled the refund outside the bridge (the credit was spent…): REVERSAL_PENDING → RESOLVED
        (``audit`` with it)."""
        async with self._engine.begin() as conn:
            moved = await move_line(
                conn,
                line,
                S.RESOLVED,
                now=now,
                actor=actor,
                kind="reversal_settled_by_hand",
                frm=(S.REVERSAL_PENDING,),
                detail={"note": note},
                sets={"reason_detail": note, **_NO_LEASE},
            )
            return await audit_move(conn, moved, audit, line, S.RESOLVED)

    # --------------------------------------------------------- a part's progress (fenced)

    async def reversal_sent(
        self, line: LineRecord, part: ReversalPart, now: datetime, actor: str, need_s: float = 0.0
    ) -> bool:
        """Commit SENT (and the moment) before the call; False unless the line's lease still holds."""
        async with self._engine.begin() as conn:
            if not await held(conn, line, live_after=now + timedelta(seconds=need_s)):
                return False
            await self._set(conn, part, now, state=P.SENT.value, sent=sent_marker(part.sent, now))
            await self._event(conn, line, part, "reversal_sent", now, actor)
            return True

    async def reversal_gave_up(self, line: LineRecord, part: ReversalPart, error: str, now: datetime) -> bool:
        """The answer was lost: the part stays SENT (looked up next), the moment the bridge gave up kept."""
        async with self._engine.begin() as conn:
            if not await held(conn, line):
                return False
            current = (await conn.execute(select(reversals.c.sent).where(reversals.c.id == part.id))).scalar()
            await self._set(conn, part, now, sent=gave_up_marker(current, now), error=error)
            return True

    async def reversal_not_sent(
        self, line: LineRecord, part: ReversalPart, error: str, now: datetime
    ) -> bool:
        """Refused before anything changed (429, 503, 500): PENDING again, sent as new next time."""
        async with self._engine.begin() as conn:
            if not await held(conn, line):
                return False
            await self._set(conn, part, now, state=P.PENDING.value, error=error)
            return True

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
        """The part REVERSED (or NOT_APPLIED); the last one moves the line to REVERSED in the same
        transaction. The line's state after, or None when the lease moved on (nothing written)."""
        assert state in DONE
        async with self._engine.begin() as conn:
            if not await held(conn, line):
                return None
            values: dict[str, Any] = {"state": state.value, "operation_id": operation_id, "error": None}
            if state is P.REVERSED:
                values["reversed_at"] = now
            await self._set(conn, part, now, **values)
            await self._event(conn, line, part, f"part_{state.value.lower()}", now, actor, {"how": how})
            states = (
                await conn.execute(select(reversals.c.state).where(reversals.c.line_id == line.id))
            ).scalars()
            if any(PartState(s) not in DONE for s in states):
                return S.REVERSING
            move = Move(line, S.REVERSED, "reversed", (S.REVERSING,), sets=_NO_LEASE, fenced=True)
            [moved] = await move_lines(conn, [move], now=now, actor=actor)
            return moved.state

    async def reversal_refused(
        self, line: LineRecord, part: ReversalPart, *, code: str, message: str, now: datetime, actor: str
    ) -> bool:
        """The billing core cannot reverse the part: REFUSED, and the line back to CS
        (REVERSING → REVERSAL_PENDING, reason REVERSAL_NOT_ALLOWED with the billing core's words)."""
        move = Move(
            line,
            S.REVERSAL_PENDING,
            "reversal_refused",
            (S.REVERSING,),
            reason="REVERSAL_NOT_ALLOWED",
            detail={"request_id": part.request_id, "code": code, "message": message},
            sets={"reason": "REVERSAL_NOT_ALLOWED", "reason_detail": message, **_NO_LEASE},
            fenced=True,
        )
        async with self._engine.begin() as conn:
            [moved] = await move_lines(conn, [move], now=now, actor=actor)
            if moved.left is None:
                return False
            await self._set(conn, part, now, state=P.REFUSED.value, error=f"{code}: {message}")
            return True

    @staticmethod
    async def _set(conn: AsyncConnection, part: ReversalPart, now: datetime, **values: Any) -> None:
        await conn.execute(
            reversals.update().where(reversals.c.id == part.id).values(updated_at=now, **values)
        )

    @staticmethod
    async def _event(
        conn: AsyncConnection,
        line: LineRecord,
        part: ReversalPart,
        kind: str,
        now: datetime,
        actor: str,
        extra: dict[str, Any] | None = None,
    ) -> None:
        detail = {"request_id": part.request_id, "part": part.part, **(extra or {})}
        row = event_row(
            now=now,
            shop=line.shop,
            tid=line.tid,
            oid=line.oid,
            line_id=line.id,
            actor=actor,
            kind=kind,
            detail=detail,
        )
        await add_events(conn, [row])
