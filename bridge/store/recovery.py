"""A restored backup: its mark (``backup_marks``), and its open lines put to "look up first".

``bridge backup`` leaves one row in ``backup_marks`` of the copy
(``bridge.store.backup``); the daemon refuses such a database until ``bridge
recover`` has run, which ends by removing the row. ``look_up_first`` is the
recovery's one move: every line still moving goes to UNKNOWN with its parts
not known applied UNKNOWN, so fulfilment's lookup path (``bridge.services.fulfil``)
asks the billing core by request_id before any send, a page of lines per
transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bridge.core.inflight import restored_marker
from bridge.core.states import PROVISIONABLE, LineState, OperationState
from bridge.store.rows import load_lines_by
from bridge.store.schema import backup_marks, lines, operations, trades
from bridge.store.transitions import Move, move_lines

S = LineState
_PAGE = 500
_MARK = "backup"
_SET_OPERATION = (
    operations.update()
    .where(operations.c.id == bindparam("w_id"))
    .values(
        state=OperationState.UNKNOWN.value,
        result=bindparam("v_result", type_=operations.c.result.type),
        updated_at=bindparam("v_now", type_=operations.c.updated_at.type),
    )
)


class RecoveryRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def backup_mark(self) -> datetime | None:
        async with self._engine.connect() as conn:
            query = select(backup_marks.c.taken_at).where(backup_marks.c.name == _MARK)
            taken: datetime | None = (await conn.execute(query)).scalar()
            return taken

    async def clear_backup_mark(self) -> bool:
        async with self._engine.begin() as conn:
            gone = await conn.execute(delete(backup_marks).where(backup_marks.c.name == _MARK))
            return bool(gone.rowcount)

    async def drop_leases(self) -> int:
        async with self._engine.begin() as conn:
            dropped = 0
            for table in (lines, trades):
                gone = await conn.execute(
                    table.update()
                    .where(table.c.lease_owner.is_not(None))
                    .values(lease_owner=None, lease_until=None)
                )
                dropped += gone.rowcount
            return dropped

    async def look_up_first(self, now: datetime, actor: str) -> int:
        moving = [s.value for s in PROVISIONABLE]
        async with self._engine.connect() as conn:
            query = select(lines.c.id).where(lines.c.state.in_(moving)).order_by(lines.c.id)
            ids = list((await conn.execute(query)).scalars())
        moved = 0
        for at in range(0, len(ids), _PAGE):
            moved += await self._page(ids[at : at + _PAGE], now, actor)
        return moved

    async def _page(self, ids: list[int], now: datetime, actor: str) -> int:
        async with self._engine.begin() as conn:
            found = await load_lines_by(conn, "id", ids)
            moves = [
                Move(
                    line,
                    S.UNKNOWN,
                    "restored",
                    PROVISIONABLE,
                    detail={"why": "restored from a backup: look up before any send"},
                    sets={"next_attempt_at": now, "lease_owner": None, "lease_until": None},
                )
                for line in found
            ]
            results = await move_lines(conn, moves, now=now, actor=actor)
            parts = [
                {"w_id": op.id, "v_result": restored_marker(op.result, now), "v_now": now}
                for line, moved in zip(found, results, strict=True)
                if moved.left is not None
                for op in line.operations
                if op.state != OperationState.APPLIED.value
            ]
            if parts:
                await conn.execute(_SET_OPERATION, parts)
            return sum(1 for m in results if m.left is not None)
