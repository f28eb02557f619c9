"""Order lines as work: planning (RECEIVED → READY with its operations), claiming and leases.

A line's request_ids are chosen when it is planned and kept forever: planning
it again rewrites only parts not yet applied. Work is claimed with a lease
(``bridge.store.claims``); each claim adds one to the line's lease token, and a
renewal or a release is fenced by owner and token (``bridge.store.fencing``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bridge.core.models import Operation, Trade
from bridge.core.records import LineRecord
from bridge.core.states import PROVISIONABLE, LineState, OperationState
from bridge.store.claims import at_or_before, claim, lease_free
from bridge.store.fencing import fence
from bridge.store.rows import load_lines, planning_trade
from bridge.store.schema import insert_ignore, lines, operations, trades
from bridge.store.transitions import move_line

S = LineState
OP = OperationState


def _operation_payload(op: Operation) -> dict[str, Any]:
    data = asdict(op)
    data["kind"] = op.kind.value
    return data


class LineRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def trade_for_planning(self, line: LineRecord) -> Trade:
        """The stored trade as a domain Trade (buyer text included) for re-planning a line."""
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(trades).where(trades.c.id == line.trade_id))).mappings().one()
        return planning_trade(row)

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
        frm: Iterable[LineState] = (S.RECEIVED,),
    ) -> bool:
        """RECEIVED → READY with the line's operations (request_ids chosen once, kept forever)."""
        detail = {
            "product": product_code,
            "parts": [op.request_id for op in ops],
            "card": card_no or "",
            "mapping_version": mapping_version,
        }
        async with self._engine.begin() as conn:
            if not await move_line(
                conn, line, S.READY, now=now, actor=actor, kind="planned", frm=frm, detail=detail
            ):
                return False
            await conn.execute(
                lines.update()
                .where(lines.c.id == line.id)
                .values(
                    card_no=card_no,
                    product_code=product_code,
                    product_name=product_name,
                    delivery_mode=delivery_mode,
                    mapping_version=mapping_version,
                    reason=None,
                    reason_detail=None,
                    next_attempt_at=now,
                    lease_owner=None,
                    lease_until=None,
                )
            )
            await _save_operations(conn, line.id, ops, now)
            return True

    async def claim_lines(
        self,
        owner: str,
        now: datetime,
        lease_s: float,
        limit: int,
        states: Iterable[LineState] = PROVISIONABLE,
    ) -> list[LineRecord]:
        """Lease up to ``limit`` due lines to ``owner``; a live lease is never taken over."""
        due = and_(
            lines.c.state.in_([s.value for s in states]),
            at_or_before(lines.c.next_attempt_at, now),
            lease_free(lines, now),
        )
        async with self._engine.begin() as conn:
            claimed = await claim(
                conn,
                lines,
                due,
                order_by=(func.coalesce(lines.c.next_attempt_at, lines.c.created_at), lines.c.id),
                limit=limit,
                hold={
                    "lease_owner": owner,
                    "lease_until": now + timedelta(seconds=lease_s),
                    "lease_token": lines.c.lease_token + 1,
                },
            )
            return await load_lines(conn, lines.c.id.in_(claimed)) if claimed else []

    async def renew_lease(self, line: LineRecord, now: datetime, lease_s: float) -> bool:
        """Extend the lease ``line`` was claimed with to ``now + lease_s``, if it is still live and
        still the same (owner and token); False when it ran out or was taken over."""
        where = and_(fence(line), lines.c.lease_owner.is_not(None), lines.c.lease_until > now)
        async with self._engine.begin() as conn:
            res = await conn.execute(
                lines.update().where(where).values(lease_until=now + timedelta(seconds=lease_s))
            )
        return res.rowcount == 1

    async def release(self, line: LineRecord, next_at: datetime | None = None) -> bool:
        """Give up the lease ``line`` was claimed with (a later claim's lease is left alone);
        with ``next_at``, the line is not due again before then."""
        values: dict[str, Any] = {"lease_owner": None, "lease_until": None}
        if next_at is not None:
            values["next_attempt_at"] = next_at
        async with self._engine.begin() as conn:
            res = await conn.execute(
                lines.update().where(and_(fence(line), lines.c.lease_owner.is_not(None))).values(**values)
            )
        return res.rowcount == 1

    async def sweep_leases(self, now: datetime) -> int:
        """Clear expired leases of lines and trades (their work is claimable again); returns how many."""
        async with self._engine.begin() as conn:
            res = await conn.execute(
                lines.update().where(lines.c.lease_until < now).values(lease_owner=None, lease_until=None)
            )
            res2 = await conn.execute(
                trades.update().where(trades.c.lease_until < now).values(lease_owner=None, lease_until=None)
            )
        return int(res.rowcount or 0) + int(res2.rowcount or 0)

    async def lines_in(self, states: Iterable[LineState], limit: int = 1000) -> list[LineRecord]:
        async with self._engine.connect() as conn:
            found = await load_lines(conn, lines.c.state.in_([s.value for s in states]))
        return found[:limit]

    async def reset_attempts(self, line_id: int, now: datetime) -> bool:
        """Give a line in EXCEPTION a fresh retry budget (no worker holds an EXCEPTION line)."""
        where = and_(lines.c.id == line_id, lines.c.state == S.EXCEPTION.value)
        async with self._engine.begin() as conn:
            res = await conn.execute(lines.update().where(where).values(attempts=0, updated_at=now))
        return bool(res.rowcount)


async def _save_operations(
    conn: AsyncConnection, line_id: int, ops: Sequence[Operation], now: datetime
) -> None:
    """Keep each part's request_id; rewrite parts not applied; drop pending parts beyond the plan."""
    for part, op in enumerate(ops):
        payload = _operation_payload(op)
        await conn.execute(
            insert_ignore(conn, operations, ["line_id", "part"]).values(
                line_id=line_id,
                part=part,
                request_id=op.request_id,
                kind=op.kind.value,
                payload=payload,
                state=OP.PENDING.value,
                updated_at=now,
            )
        )
        await conn.execute(
            operations.update()
            .where(
                and_(
                    operations.c.line_id == line_id,
                    operations.c.part == part,
                    operations.c.state != OP.APPLIED.value,
                )
            )
            .values(payload=payload, kind=op.kind.value, updated_at=now)
        )
    await conn.execute(
        operations.delete().where(
            and_(
                operations.c.line_id == line_id,
                operations.c.part >= len(ops),
                operations.c.state == OP.PENDING.value,
            )
        )
    )
