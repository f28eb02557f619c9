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

from sqlalchemy import Integer, Update, and_, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bridge.core.ceilings import Size
from bridge.core.models import Operation
from bridge.core.records import LineRecord, PlannedLine
from bridge.core.states import PROVISIONABLE, LineState, OperationState
from bridge.core.trades import Trade
from bridge.store.audit import insert_audit
from bridge.store.chunks import chunks
from bridge.store.claims import at_or_before, claim_statement, claim_with, lease_free
from bridge.store.fencing import fence
from bridge.store.rows import load_lines, load_lines_by, planning_trade
from bridge.store.schema import insert_ignore, lines, operations, trades
from bridge.store.transitions import Move, move_lines

S = LineState
OP = OperationState


def _operation_payload(op: Operation) -> dict[str, Any]:
    data = asdict(op)
    data["kind"] = op.kind.value
    return data


def _claim_lines() -> Update:
    """The lines' claim, built once: due in one of ``c_states`` at ``c_now``, up to ``c_limit``,
    leased to ``c_owner`` until ``c_until``, the lease token one up (the fence)."""
    now = bindparam("c_now", type_=lines.c.lease_until.type)
    due = and_(
        lines.c.state.in_(bindparam("c_states", expanding=True)),
        at_or_before(lines.c.next_attempt_at, now),
        lease_free(lines, now),
    )
    return claim_statement(
        lines,
        due,
        order_by=(func.coalesce(lines.c.next_attempt_at, lines.c.created_at), lines.c.id),
        limit=bindparam("c_limit", type_=Integer()),
        hold={
            "lease_owner": bindparam("c_owner", type_=lines.c.lease_owner.type),
            "lease_until": bindparam("c_until", type_=lines.c.lease_until.type),
            "lease_token": lines.c.lease_token + 1,
        },
    )


_CLAIM_LINES = _claim_lines()


class LineRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def trade_for_planning(self, line: LineRecord) -> Trade:
        """The stored trade as a domain Trade (buyer text included) for re-planning a line."""
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(trades).where(trades.c.id == line.trade_id))).mappings().one()
        return planning_trade(row)

    async def trade_sizes(self, trade_ids: Sequence[int]) -> dict[int, Size]:
        """Each trade's lines added up (payment, quantity), by trade id; a trade without lines is 0."""
        sizes = dict.fromkeys(trade_ids, Size(0, 0))
        query = select(lines.c.trade_id, func.sum(lines.c.payment_fen), func.sum(lines.c.quantity))
        async with self._engine.connect() as conn:
            for ids in chunks(conn, list(trade_ids)):
                found = await conn.execute(query.where(lines.c.trade_id.in_(ids)).group_by(lines.c.trade_id))
                sizes.update({tid: Size(int(amount), int(qty)) for tid, amount, qty in found.all()})
        return sizes

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
        planned = PlannedLine(
            line, tuple(ops), card_no, product_code, product_name, delivery_mode, mapping_version, tuple(frm)
        )
        [ready] = await self.mark_ready_many([planned], now=now, actor=actor)
        return ready

    async def mark_ready_many(
        self, planned: Sequence[PlannedLine], *, now: datetime, actor: str
    ) -> list[bool]:
        """``mark_ready`` for several lines in one transaction: one compare-and-set routine for all
        of them (``move_lines``), their operations written together, and a person's audit entry
        (``PlannedLine.audit``) with its line; whether each became READY."""
        if not planned:
            return []
        moves = [_ready_move(p, now) for p in planned]
        async with self._engine.begin() as conn:
            moved = await move_lines(conn, moves, now=now, actor=actor)
            ready = [p for p, m in zip(planned, moved, strict=True) if m.left is not None]
            await _save_operations(conn, ready, now)
            for p in ready:
                await insert_audit(conn, p.audit, p.line, p.line.state.value, S.READY.value)
        return [m.left is not None for m in moved]

    async def claim_lines(
        self,
        owner: str,
        now: datetime,
        lease_s: float,
        limit: int,
        states: Iterable[LineState] = PROVISIONABLE,
    ) -> list[LineRecord]:
        """Lease up to ``limit`` due lines to ``owner``; a live lease is never taken over."""
        params = {
            "c_states": [s.value for s in states],
            "c_now": now,
            "c_limit": limit,
            "c_owner": owner,
            "c_until": now + timedelta(seconds=lease_s),
        }
        async with self._engine.begin() as conn:
            claimed = await claim_with(conn, _CLAIM_LINES, params)
            return await load_lines_by(conn, "id", claimed)

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

    async def skus_in(self, states: Iterable[LineState]) -> set[str]:
        query = (
            select(lines.c.outer_sku_id)
            .where(and_(lines.c.state.in_([s.value for s in states]), lines.c.outer_sku_id.is_not(None)))
            .distinct()
        )
        async with self._engine.connect() as conn:
            return {str(sku) for sku in (await conn.execute(query)).scalars()}


def _ready_move(p: PlannedLine, now: datetime) -> Move:
    detail = {
        "product": p.product_code,
        "parts": [op.request_id for op in p.operations],
        "card": p.card_no or "",
        "mapping_version": p.mapping_version,
    }
    sets: dict[str, Any] = {
        "card_no": p.card_no,
        "product_code": p.product_code,
        "product_name": p.product_name,
        "delivery_mode": p.delivery_mode,
        "mapping_version": p.mapping_version,
        "reason": None,
        "reason_detail": None,
        "next_attempt_at": now,
        "lease_owner": None,
        "lease_until": None,
    }
    if S.EXCEPTION in p.frm:  # a person planned it again: a fresh retry budget, in the same move
        sets["attempts"] = 0
    return Move(p.line, S.READY, "planned", p.frm, detail=detail, sets=sets)


async def _save_operations(conn: AsyncConnection, planned: Sequence[PlannedLine], now: datetime) -> None:
    """Keep each part's request_id; rewrite parts not applied; drop pending parts beyond the plan.

    The lines' stored parts are read once; new parts go in one statement, and
    only parts that exist already (a line planned again) are rewritten or dropped.
    """
    if not planned:
        return
    read = select(operations.c.line_id, operations.c.part, operations.c.state)
    existing: dict[tuple[int, int], str] = {}
    for ids in chunks(conn, [p.line.id for p in planned]):
        stored = (await conn.execute(read.where(operations.c.line_id.in_(ids)))).all()
        existing.update({(r.line_id, r.part): r.state for r in stored})
    new: list[dict[str, Any]] = []
    for p in planned:
        for part, op in enumerate(p.operations):
            payload = _operation_payload(op)
            key = (p.line.id, part)
            if key not in existing:
                new.append(
                    {
                        "line_id": p.line.id,
                        "part": part,
                        "request_id": op.request_id,
                        "kind": op.kind.value,
                        "payload": payload,
                        "state": OP.PENDING.value,
                        "updated_at": now,
                    }
                )
            elif existing[key] != OP.APPLIED.value:
                await conn.execute(
                    operations.update()
                    .where(
                        and_(
                            operations.c.line_id == p.line.id,
                            operations.c.part == part,
                            operations.c.state != OP.APPLIED.value,
                        )
                    )
                    .values(payload=payload, kind=op.kind.value, updated_at=now)
                )
        if any(line_id == p.line.id and part >= len(p.operations) for line_id, part in existing):
            await conn.execute(
                operations.delete().where(
                    and_(
                        operations.c.line_id == p.line.id,
                        operations.c.part >= len(p.operations),
                        operations.c.state == OP.PENDING.value,
                    )
                )
            )
    for piece in chunks(conn, new, params_per_row=len(new[0]) if new else 1):
        await conn.execute(insert_ignore(conn, operations, ["line_id", "part"]), piece)
