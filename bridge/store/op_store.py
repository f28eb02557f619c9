"""Billing operations of a line: submit, applied, answer lost, retry later, exception.

``begin_submit`` is fenced by the lease: a worker whose lease ran out (and whose
line another worker may now own) cannot start a call. Facts learned from the
billing core (an operation was applied) are recorded whoever holds the lease.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from bridge.core.models import OperationResult
from bridge.core.records import LineRecord, OperationRecord
from bridge.core.states import LineState
from bridge.store.base import add_event, load_lines
from bridge.store.line_store import LineStore, result_payload
from bridge.store.schema import lines, operations

S = LineState


class OpStore(LineStore):
    async def begin_submit(self, line: LineRecord, op: OperationRecord, owner: str, now: datetime) -> bool:
        """Commit SUBMITTED (with the request_id) before the call; False if the lease is gone."""
        async with self._engine.begin() as conn:
            row = (
                await conn.execute(
                    select(lines.c.lease_owner, lines.c.lease_until, lines.c.state).where(
                        lines.c.id == line.id
                    )
                )
            ).one()
            if row.lease_owner != owner or row.lease_until is None or row.lease_until <= now:
                return False
            return await self._move(
                conn,
                line,
                S.SUBMITTED,
                now=now,
                actor=owner,
                kind="submit",
                frm=(S.READY, S.UNKNOWN, S.SUBMITTED),
                detail={"request_id": op.request_id, "part": op.part, "payload": op.payload},
            )

    async def record_applied(
        self,
        line: LineRecord,
        op: OperationRecord,
        result: OperationResult,
        actor: str,
        now: datetime,
        how: str = "applied",
    ) -> LineRecord:
        """Record one applied part; the line becomes APPLIED when every part is."""
        async with self._engine.begin() as conn:
            await conn.execute(
                operations.update()
                .where(operations.c.id == op.id)
                .values(
                    state="APPLIED",
                    operation_id=result.operation_id,
                    result=result_payload(result),
                    applied_at=result.applied_at,
                    updated_at=now,
                )
            )
            states = (
                (await conn.execute(select(operations.c.state).where(operations.c.line_id == line.id)))
                .scalars()
                .all()
            )
            detail: dict[str, Any] = {
                "request_id": op.request_id,
                "operation_id": result.operation_id,
                "how": how,
            }
            if result.balance_fen is not None:
                detail["balance_fen"] = result.balance_fen
            if result.valid_until is not None:
                detail["valid_until"] = result.valid_until.isoformat()
            if result.cards:
                detail["cards"] = [c.serial for c in result.cards]
            if all(s == "APPLIED" for s in states):
                await self._move(
                    conn,
                    line,
                    S.APPLIED,
                    now=now,
                    actor=actor,
                    kind="applied",
                    frm=(S.SUBMITTED, S.UNKNOWN, S.EXCEPTION),
                    detail=detail,
                    values=dict(
                        applied_at=now, lease_owner=None, lease_until=None, reason=None, reason_detail=None
                    ),
                )
            else:
                await _event_only(conn, line, actor, now, "part_applied", detail)
            return (await load_lines(conn, lines.c.id == line.id))[0]

    async def record_unknown(
        self,
        line: LineRecord,
        op: OperationRecord,
        *,
        error: str,
        actor: str,
        now: datetime,
        next_at: datetime,
    ) -> None:
        """The answer was lost: the part may be applied; the next attempt asks by request_id first."""
        async with self._engine.begin() as conn:
            await conn.execute(
                operations.update().where(operations.c.id == op.id).values(state="UNKNOWN", updated_at=now)
            )
            await self._move(
                conn,
                line,
                S.UNKNOWN,
                now=now,
                actor=actor,
                kind="answer_lost",
                frm=(S.SUBMITTED,),
                detail={"request_id": op.request_id, "error": error},
                values=dict(
                    attempts=line.attempts + 1, next_attempt_at=next_at, lease_owner=None, lease_until=None
                ),
            )

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
    ) -> None:
        """Not applied this time (refused at the door): try again at ``next_at``."""
        target = S.UNKNOWN if op.state == "UNKNOWN" else S.READY
        async with self._engine.begin() as conn:
            await self._move(
                conn,
                line,
                target,
                now=now,
                actor=actor,
                kind="retry_later",
                frm=(S.SUBMITTED, S.UNKNOWN) if target is S.UNKNOWN else (S.SUBMITTED, S.READY),
                detail={
                    "request_id": op.request_id,
                    "error": error,
                    "next_at": next_at.isoformat(),
                    "counted": count_attempt,
                },
                values=dict(
                    attempts=line.attempts + (1 if count_attempt else 0),
                    next_attempt_at=next_at,
                    lease_owner=None,
                    lease_until=None,
                ),
            )

    async def record_exception(
        self,
        line: LineRecord,
        *,
        reason: str,
        message: str,
        actor: str,
        now: datetime,
        memo: tuple[str, str, int] | None,
        detail: dict[str, Any] | None = None,
    ) -> bool:
        """A person must decide: EXCEPTION with its reason, and a seller memo queued for CS."""
        return await self.move(
            line,
            S.EXCEPTION,
            now=now,
            actor=actor,
            kind="exception",
            frm=(S.RECEIVED, S.READY, S.SUBMITTED, S.UNKNOWN, S.HELD),
            reason=reason,
            detail={"message": message, **(detail or {})},
            memo=memo,
            values=dict(lease_owner=None, lease_until=None, next_attempt_at=None),
        )


async def _event_only(
    conn: AsyncConnection,
    line: LineRecord,
    actor: str,
    now: datetime,
    kind: str,
    detail: dict[str, Any],
) -> None:
    await add_event(
        conn,
        now=now,
        shop=line.shop,
        tid=line.tid,
        oid=line.oid,
        line_id=line.id,
        actor=actor,
        kind=kind,
        detail=detail,
    )
    await conn.execute(lines.update().where(lines.c.id == line.id).values(updated_at=now))
