"""Order lines: intake, planning, claiming with leases, and every state transition.

Each public method is one transaction: the state change, its event row and the
trade's delivery state are committed together, before any remote call that
depends on them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bridge.core.models import Operation, OperationResult, Trade
from bridge.core.records import LineRecord
from bridge.core.states import PROVISIONABLE, LineState, check_transition
from bridge.store.base import StoreBase, add_event, insert_ignore, load_lines, refresh_trade
from bridge.store.schema import lines, memos, operations, trades

S = LineState


def _lease_free(table: Any, now: datetime) -> Any:
    return or_(table.c.lease_until.is_(None), table.c.lease_until < now)


def operation_payload(op: Operation) -> dict[str, Any]:
    data = asdict(op)
    data["kind"] = op.kind.value
    return data


def result_payload(result: OperationResult) -> dict[str, Any]:
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


_IN_FLIGHT = frozenset({S.RECEIVED, S.READY, S.SUBMITTED, S.UNKNOWN})


def _affects_delivery(current: LineState, to: LineState) -> bool:
    """Moves among the in-flight states never change whether a trade is due for write-back."""
    return not (current in _IN_FLIGHT and to in _IN_FLIGHT)


class LineStore(StoreBase):
    async def save_trade(self, shop: str, trade: Trade, now: datetime, actor: str) -> list[LineRecord]:
        """Store a trade and its lines (new lines as RECEIVED); return all its lines."""
        async with self._engine.begin() as conn:
            trade_id = await self._upsert_trade_row(conn, shop, trade, now)
            for line in trade.lines:
                inserted = await conn.execute(
                    insert_ignore(conn, lines, ["shop", "tid", "oid"]).values(
                        trade_id=trade_id,
                        shop=shop,
                        tid=trade.tid,
                        oid=line.oid,
                        outer_sku_id=line.outer_sku_id,
                        sku_id=line.sku_id,
                        title=line.title,
                        quantity=line.quantity,
                        price_fen=line.price_fen,
                        payment_fen=line.payment_fen,
                        refund_status=line.refund_status,
                        customization=line.customization,
                        state=S.RECEIVED.value,
                        attempts=0,
                        paid_at=trade.pay_time,
                        created_at=now,
                        updated_at=now,
                    )
                )
                if inserted.rowcount:
                    await add_event(
                        conn,
                        now=now,
                        shop=shop,
                        tid=trade.tid,
                        oid=line.oid,
                        actor=actor,
                        kind="received",
                        to_state=S.RECEIVED.value,
                        detail={
                            "sku": line.outer_sku_id,
                            "quantity": line.quantity,
                            "payment_fen": line.payment_fen,
                        },
                    )
                else:
                    await self._update_refund_status(
                        conn, shop, trade.tid, line.oid, line.refund_status, now, actor
                    )
            return await load_lines(conn, lines.c.trade_id == trade_id)

    async def _upsert_trade_row(self, conn: AsyncConnection, shop: str, trade: Trade, now: datetime) -> int:
        values = dict(
            status=trade.status,
            buyer_nick=trade.buyer_nick,
            buyer_message=trade.buyer_message,
            modified=trade.modified,
            pay_time=trade.pay_time,
            payment_fen=trade.payment_fen,
        )
        await conn.execute(
            insert_ignore(conn, trades, ["shop", "tid"]).values(
                shop=shop,
                tid=trade.tid,
                delivery_state="OPEN",
                delivery_attempts=0,
                created_at=now,
                updated_at=now,
                **values,
            )
        )
        where = and_(trades.c.shop == shop, trades.c.tid == trade.tid)
        await conn.execute(trades.update().where(where).values(updated_at=now, **values))
        return int((await conn.execute(select(trades.c.id).where(where))).scalar_one())

    async def _update_refund_status(
        self,
        conn: AsyncConnection,
        shop: str,
        tid: int,
        oid: int,
        refund_status: str,
        now: datetime,
        actor: str,
    ) -> None:
        where = and_(
            lines.c.shop == shop,
            lines.c.tid == tid,
            lines.c.oid == oid,
            lines.c.refund_status != refund_status,
        )
        changed = await conn.execute(
            lines.update().where(where).values(refund_status=refund_status, updated_at=now)
        )
        if changed.rowcount:
            await add_event(
                conn,
                now=now,
                shop=shop,
                tid=tid,
                oid=oid,
                actor=actor,
                kind="refund_status",
                detail={"refund_status": refund_status},
            )

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
        values: dict[str, Any] | None = None,
        memo: tuple[str, str, int] | None = None,
    ) -> bool:
        """Move a line if it is still in one of ``frm`` (default: its recorded state)."""
        async with self._engine.begin() as conn:
            return await self._move(
                conn,
                line,
                to,
                now=now,
                actor=actor,
                kind=kind,
                frm=frm,
                reason=reason,
                detail=detail,
                values=values,
                memo=memo,
            )

    async def _move(
        self,
        conn: AsyncConnection,
        line: LineRecord,
        to: LineState,
        *,
        now: datetime,
        actor: str,
        kind: str = "state",
        frm: Iterable[LineState] | None = None,
        reason: str | None = None,
        detail: dict[str, Any] | None = None,
        values: dict[str, Any] | None = None,
        memo: tuple[str, str, int] | None = None,
    ) -> bool:
        sources = tuple(frm) if frm is not None else (line.state,)
        for source in sources:
            check_transition(source, to)
        current = (await conn.execute(select(lines.c.state).where(lines.c.id == line.id))).scalar_one()
        if LineState(current) not in sources:
            return False
        update: dict[str, Any] = {"state": to.value, "updated_at": now, **(values or {})}
        if to is S.EXCEPTION:
            update.update(reason=reason, reason_detail=(detail or {}).get("message"))
        await conn.execute(lines.update().where(lines.c.id == line.id).values(**update))
        await add_event(
            conn,
            now=now,
            shop=line.shop,
            tid=line.tid,
            oid=line.oid,
            line_id=line.id,
            actor=actor,
            kind=kind,
            from_state=current,
            to_state=to.value,
            reason=reason,
            detail=detail,
        )
        if memo is not None:
            key, text, flag = memo
            await conn.execute(
                insert_ignore(conn, memos, ["shop", "tid", "key"]).values(
                    shop=line.shop,
                    tid=line.tid,
                    key=key,
                    text=text,
                    flag=flag,
                    state="PENDING",
                    attempts=0,
                    next_at=now,
                    created_at=now,
                )
            )
        if _affects_delivery(LineState(current), to):
            await refresh_trade(conn, line.trade_id, now)
        return True

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
        async with self._engine.begin() as conn:
            moved = await self._move(
                conn,
                line,
                S.READY,
                now=now,
                actor=actor,
                kind="planned",
                frm=frm,
                detail={
                    "product": product_code,
                    "parts": [op.request_id for op in ops],
                    "card": card_no or "",
                    "mapping_version": mapping_version,
                },
                values=dict(
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
                ),
            )
            if moved:
                await self._save_operations(conn, line.id, ops, now)
            return moved

    async def _save_operations(
        self, conn: AsyncConnection, line_id: int, ops: Sequence[Operation], now: datetime
    ) -> None:
        for part, op in enumerate(ops):
            payload = operation_payload(op)
            await conn.execute(
                insert_ignore(conn, operations, ["line_id", "part"]).values(
                    line_id=line_id,
                    part=part,
                    request_id=op.request_id,
                    kind=op.kind.value,
                    payload=payload,
                    state="PENDING",
                    updated_at=now,
                )
            )
            await conn.execute(
                operations.update()
                .where(
                    and_(
                        operations.c.line_id == line_id,
                        operations.c.part == part,
                        operations.c.state != "APPLIED",
                    )
                )
                .values(payload=payload, kind=op.kind.value, updated_at=now)
            )
        await conn.execute(
            operations.delete().where(
                and_(
                    operations.c.line_id == line_id,
                    operations.c.part >= len(ops),
                    operations.c.state == "PENDING",
                )
            )
        )

    async def claim_lines(
        self,
        owner: str,
        now: datetime,
        lease_s: float,
        limit: int,
        states: Iterable[LineState] = PROVISIONABLE,
    ) -> list[LineRecord]:
        """Lease up to ``limit`` due lines to ``owner``; a live lease is never taken over."""
        until = now + timedelta(seconds=lease_s)
        due = and_(
            lines.c.state.in_([s.value for s in states]),
            or_(lines.c.next_attempt_at.is_(None), lines.c.next_attempt_at <= now),
            _lease_free(lines, now),
        )
        async with self._engine.begin() as conn:
            ids = (
                (
                    await conn.execute(
                        select(lines.c.id)
                        .where(due)
                        .order_by(func.coalesce(lines.c.next_attempt_at, lines.c.created_at), lines.c.id)
                        .limit(limit)
                    )
                )
                .scalars()
                .all()
            )
            claimed = []
            for line_id in ids:
                res = await conn.execute(
                    lines.update()
                    .where(and_(lines.c.id == line_id, due))
                    .values(lease_owner=owner, lease_until=until)
                )
                if res.rowcount:
                    claimed.append(line_id)
            return await load_lines(conn, lines.c.id.in_(claimed)) if claimed else []

    async def holds_lease(self, line_id: int, owner: str, now: datetime) -> bool:
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(
                    select(lines.c.lease_owner, lines.c.lease_until).where(lines.c.id == line_id)
                )
            ).one()
        return bool(row.lease_owner == owner and row.lease_until and row.lease_until > now)

    async def release(self, line_id: int, owner: str) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                lines.update()
                .where(and_(lines.c.id == line_id, lines.c.lease_owner == owner))
                .values(lease_owner=None, lease_until=None)
            )

    async def sweep_leases(self, now: datetime) -> int:
        """Clear expired leases (their work is claimable again); returns how many."""
        async with self._engine.begin() as conn:
            res = await conn.execute(
                lines.update().where(lines.c.lease_until < now).values(lease_owner=None, lease_until=None)
            )
            res2 = await conn.execute(
                trades.update().where(trades.c.lease_until < now).values(lease_owner=None, lease_until=None)
            )
        return int(res.rowcount or 0) + int(res2.rowcount or 0)
