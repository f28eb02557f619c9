"""Billing operations of a line: submit, applied, answer lost, retry later, exception.

Every write here is fenced by the lease the line was claimed with, its owner
and token (``bridge.store.fencing``): ``begin_submit`` also needs the lease to
last beyond the call, and a worker whose lease was taken over can neither start
a call nor record its outcome: the write is refused (the method says so), the
part stays SENT, and the new holder looks it up before any resend. It commits the line's
SUBMITTED and the part's SENT, with the moment of sending, in one transaction,
so whoever finds the part after a crash looks it up before any resend. The
moment is kept in the part's ``result`` column (``{"sent_at": …, "sends": n}``,
plus ``"gave_up_at"`` once an answer was lost; see ``bridge.core.inflight``),
which holds the billing core's answer only once the part is APPLIED: no new
column. A call the billing core refused (at the
door or for good) puts the part back to PENDING: nothing was applied.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BindParameter, and_, bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bridge.core.inflight import gave_up_marker, may_be_applied, sent_marker
from bridge.core.models import OperationResult
from bridge.core.reasons import Memo
from bridge.core.records import Applied, LineRecord, OperationRecord
from bridge.core.states import IN_FLIGHT, PROVISIONABLE, LineState, OperationState
from bridge.store.fencing import held
from bridge.store.rows import load_lines_by
from bridge.store.schema import lines, operations
from bridge.store.timeline import add_event
from bridge.store.transitions import Move, move_lines

S = LineState
OP = OperationState
_NO_LEASE: dict[str, Any] = {"lease_owner": None, "lease_until": None}


def _result_payload(result: OperationResult) -> dict[str, Any]:
    return {
        "operation_id": result.operation_id,
        "status": result.status,
        "applied_at": result.applied_at.isoformat(),
        "balance_fen": result.balance_fen,
        "valid_until": result.valid_until.isoformat() if result.valid_until else None,
        "cards": [
            {
                "serial": c.serial,
                "pin": c.pin,
                "face_value_fen": c.face_value_fen,
                "expires_on": c.expires_on.isoformat(),
            }
            for c in result.cards
        ],
    }


def _applied_detail(op: OperationRecord, result: OperationResult, how: str) -> dict[str, Any]:
    detail: dict[str, Any] = {"request_id": op.request_id, "operation_id": result.operation_id, "how": how}
    if result.balance_fen is not None:
        detail["balance_fen"] = result.balance_fen
    if result.valid_until is not None:
        detail["valid_until"] = result.valid_until.isoformat()
    if result.cards:
        detail["cards"] = [c.serial for c in result.cards]
    return detail


def _bound(name: str, column: str | None = None) -> BindParameter[Any]:
    return bindparam(f"v_{name}", type_=operations.c[column or name].type)


# the hot writes of a part, built once: its state and result (SENT before the call), or applied
_SET_OPERATION = (
    operations.update()
    .where(operations.c.id == bindparam("w_id"))
    .values(
        state=_bound("state"),
        result=_bound("result"),
        updated_at=bindparam("v_now", type_=operations.c.updated_at.type),
    )
)
_SET_APPLIED = _SET_OPERATION.values(operation_id=_bound("operation_id"), applied_at=_bound("applied_at"))


class OperationRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def begin_submit(
        self, line: LineRecord, op: OperationRecord, owner: str, now: datetime, need_s: float = 0.0
    ) -> bool:
        """Commit SUBMITTED (with the request_id) before the call; False unless ``owner`` still
        holds the lease ``line`` was claimed with and it lasts more than ``need_s`` past ``now``."""
        if line.lease_owner != owner:
            return False
        move = Move(
            line,
            S.SUBMITTED,
            "submit",
            PROVISIONABLE,
            detail={"request_id": op.request_id, "part": op.part, "payload": op.payload},
            fenced=True,
            live_after=now + timedelta(seconds=need_s),
        )
        async with self._engine.begin() as conn:
            [moved] = await move_lines(conn, [move], now=now, actor=owner)
            if moved.left is None:
                return False
            await conn.execute(
                _SET_OPERATION,
                {
                    "w_id": op.id,
                    "v_state": OP.SENT.value,
                    "v_result": sent_marker(op.result, now),
                    "v_now": now,
                },
            )
            return True

    async def record_applied(
        self,
        line: LineRecord,
        op: OperationRecord,
        result: OperationResult,
        actor: str,
        now: datetime,
        how: str = "applied",
    ) -> LineRecord | None:
        """Record one applied part; the line becomes APPLIED when every part is; None if fenced out."""
        [fresh] = await self.record_applied_many([Applied(line, op, result, how)], actor, now)
        return fresh

    async def record_applied_many(
        self, applied: Sequence[Applied], actor: str, now: datetime
    ) -> list[LineRecord | None]:
        """Record several applied parts (of different lines) in one transaction, each fenced by its
        own line's lease; for each, in order, the line as it now is, or None if fenced out.

        The lines whose last part this is move to APPLIED in one batch compare-and-set with their
        events; the line comes back without a second read when it moved (under its lease only
        this worker writes its parts).
        """
        if len({a.line.id for a in applied}) != len(applied):
            raise ValueError("one applied part per line in a batch")
        out: dict[int, LineRecord | None] = {}
        async with self._engine.begin() as conn:
            lasts: list[Applied] = []
            for a in applied:
                if await _others_applied(conn, a.line, a.op):
                    lasts.append(a)
                elif not await held(conn, a.line):
                    out[a.line.id] = None
                else:
                    await _set_applied(conn, [a], now)
                    await _part_applied(conn, a.line, actor, now, _applied_detail(a.op, a.result, a.how))
                    out[a.line.id] = (await load_lines_by(conn, "id", [a.line.id]))[0]
            moves = [
                Move(
                    a.line,
                    S.APPLIED,
                    "applied",
                    (S.SUBMITTED, S.UNKNOWN, S.EXCEPTION),
                    detail=_applied_detail(a.op, a.result, a.how),
                    sets={"applied_at": now, "reason": None, "reason_detail": None, **_NO_LEASE},
                    fenced=True,
                )
                for a in lasts
            ]
            results = await move_lines(conn, moves, now=now, actor=actor)
            kept = [(a, moved) for a, moved in zip(lasts, results, strict=True) if moved.held]
            await _set_applied(conn, [a for a, _ in kept], now)
            out.update((a.line.id, None) for a in lasts)  # fenced out, unless kept below
            moved_on = [a.line.id for a, moved in kept if moved.left is None]
            for fresh in await load_lines_by(conn, "id", moved_on) if moved_on else []:
                out[fresh.id] = fresh  # the line moved on meanwhile (a refund): as it is now
            for a, moved in kept:
                if moved.left is not None:
                    out[a.line.id] = _applied_line(a, now)
        return [out[a.line.id] for a in applied]

    async def record_unknown(
        self,
        line: LineRecord,
        op: OperationRecord,
        *,
        error: str,
        actor: str,
        now: datetime,
        next_at: datetime,
    ) -> bool:
        """The answer was lost: the part may be applied; the next attempt asks by request_id first.

        False if fenced out (the part stays SENT: as good as UNKNOWN for the next holder)."""
        move = Move(
            line,
            S.UNKNOWN,
            "answer_lost",
            (S.SUBMITTED,),
            detail={"request_id": op.request_id, "error": error},
            sets={"attempts": line.attempts + 1, "next_attempt_at": next_at, **_NO_LEASE},
            fenced=True,
        )
        async with self._engine.begin() as conn:
            [moved] = await move_lines(conn, [move], now=now, actor=actor)
            if not moved.held:
                return False
            sent = (await conn.execute(select(operations.c.result).where(operations.c.id == op.id))).scalar()
            await conn.execute(
                operations.update()
                .where(operations.c.id == op.id)
                .values(state=OP.UNKNOWN.value, result=gave_up_marker(sent, now), updated_at=now)
            )
            return True

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
    ) -> bool:
        """Try again at ``next_at``: the call was refused at the door (``refused``: the part is
        PENDING again), or the part may have been applied and is looked up again then.
        False if fenced out."""
        maybe = may_be_applied(op.state) and not refused
        target = S.UNKNOWN if maybe and line.state is not S.READY else S.READY
        detail = {
            "request_id": op.request_id,
            "error": error,
            "next_at": next_at.isoformat(),
            "counted": count_attempt,
        }
        attempts = line.attempts + (1 if count_attempt else 0)
        move = Move(
            line,
            target,
            "retry_later",
            (S.SUBMITTED, S.UNKNOWN) if target is S.UNKNOWN else (S.SUBMITTED, S.READY),
            detail=detail,
            sets={"attempts": attempts, "next_attempt_at": next_at, **_NO_LEASE},
            fenced=True,
        )
        async with self._engine.begin() as conn:
            [moved] = await move_lines(conn, [move], now=now, actor=actor)
            if not moved.held:
                return False
            if refused:
                await _not_applied(conn, op, now)
            return True

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
    ) -> bool:
        """A person must decide: EXCEPTION with its reason, and a seller memo queued for CS.

        ``not_applied``: parts the billing core refused or a trusted lookup found never applied.
        False if the line moved on, or if fenced out (claimed again since ``line`` was read).
        """
        move = Move(
            line,
            S.EXCEPTION,
            "exception",
            IN_FLIGHT | {S.HELD},
            reason=reason,
            detail={"message": message, **(detail or {})},
            memo=memo,
            sets={"next_attempt_at": None, **_NO_LEASE},
            fenced=True,
        )
        async with self._engine.begin() as conn:
            [moved] = await move_lines(conn, [move], now=now, actor=actor)
            if not moved.held:
                return False
            for op in not_applied:
                await _not_applied(conn, op, now)
            return moved.left is not None


async def _others_applied(conn: AsyncConnection, line: LineRecord, op: OperationRecord) -> bool:
    """Every other part of the line is applied (a line of one part: no read)."""
    if all(o.id == op.id for o in line.operations):
        return True
    others = and_(operations.c.line_id == line.id, operations.c.id != op.id)
    states = (await conn.execute(select(operations.c.state).where(others))).scalars().all()
    return all(s == OP.APPLIED.value for s in states)


async def _set_applied(conn: AsyncConnection, applied: Sequence[Applied], now: datetime) -> None:
    """The parts applied, with the billing core's answers: one statement for the batch."""
    if not applied:
        return
    params = [
        {
            "w_id": a.op.id,
            "v_state": OP.APPLIED.value,
            "v_operation_id": a.result.operation_id,
            "v_result": _result_payload(a.result),
            "v_applied_at": a.result.applied_at,
            "v_now": now,
        }
        for a in applied
    ]
    await conn.execute(_SET_APPLIED, params)


def _applied_line(a: Applied, now: datetime) -> LineRecord:
    """The line after its last part was applied: APPLIED, its lease given up."""
    ops = tuple(
        replace(
            o, state=OP.APPLIED.value, operation_id=a.result.operation_id, result=_result_payload(a.result)
        )
        if o.id == a.op.id
        else o
        for o in a.line.operations
    )
    return replace(
        a.line,
        state=S.APPLIED,
        operations=ops,
        reason=None,
        reason_detail=None,
        lease_owner=None,
        updated_at=now,
    )


async def _not_applied(conn: AsyncConnection, op: OperationRecord, now: datetime) -> None:
    """The part was never applied (its call refused, or a trusted lookup said so): PENDING again."""
    await conn.execute(
        operations.update()
        .where(and_(operations.c.id == op.id, operations.c.state != OP.APPLIED.value))
        .values(state=OP.PENDING.value, result=None, updated_at=now)
    )


async def _part_applied(
    conn: AsyncConnection, line: LineRecord, actor: str, now: datetime, detail: dict[str, Any]
) -> None:
    """One part of several applied: an event, the line's state unchanged."""
    await add_event(
        conn,
        now=now,
        shop=line.shop,
        tid=line.tid,
        oid=line.oid,
        line_id=line.id,
        actor=actor,
        kind="part_applied",
        detail=detail,
    )
    await conn.execute(lines.update().where(lines.c.id == line.id).values(updated_at=now))
