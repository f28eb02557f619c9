"""The steps every transaction of the store is built from, inside the caller's transaction.

``move_line`` is the one compare-and-set of a line's state: it checks the move
against the transition table (``bridge.core.states``), changes nothing when
the line is no longer in a state it may move from (``UPDATE … WHERE id = ? AND
state IN (…)``, the row count checked), and writes the event row (masked), the
memo for CS and the trade's delivery state only with a move that happened. The
repositories call these within one ``engine.begin()``, so a transition and its
event are committed together, before any remote call that depends on them.

Locks (PostgreSQL; SQLite serialises writers at BEGIN): a move locks its
trade's row first, then the line's, the same order intake takes them, so
moves of sibling lines queue on the trade and the one that settles the last
line sees the others' committed states (READ COMMITTED reads afresh per
statement) — a trade is marked due exactly once, never missed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bridge.core.masking import mask_detail
from bridge.core.reasons import Memo
from bridge.core.records import LineRecord
from bridge.core.states import (
    IN_FLIGHT,
    DeliveryState,
    LineState,
    MemoState,
    check_transition,
    delivery_state,
)
from bridge.store.schema import events, insert_ignore, lines, memos, trades


async def add_event(
    conn: AsyncConnection,
    *,
    now: datetime,
    shop: str,
    tid: int,
    actor: str,
    kind: str,
    oid: int | None = None,
    line_id: int | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
    reason: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """One row of a trade's timeline; the detail is masked before it is stored."""
    await conn.execute(
        events.insert().values(
            at=now,
            shop=shop,
            tid=tid,
            oid=oid,
            line_id=line_id,
            actor=actor,
            kind=kind,
            from_state=from_state,
            to_state=to_state,
            reason=reason,
            detail=mask_detail(detail),
        )
    )


async def insert_memo(conn: AsyncConnection, shop: str, tid: int, memo: Memo, now: datetime) -> None:
    """Queue a seller memo; the same key on the same trade is queued once (a constraint)."""
    await conn.execute(
        insert_ignore(conn, memos, ["shop", "tid", "key"]).values(
            shop=shop,
            tid=tid,
            key=memo.key,
            text=memo.text,
            flag=memo.flag.value,
            state=MemoState.PENDING.value,
            attempts=0,
            next_at=now,
            created_at=now,
        )
    )


def lock_trade(trade_id: int) -> Select[Any]:
    """The trade's delivery state, its row locked until the transaction ends (PostgreSQL)."""
    return select(trades.c.delivery_state).where(trades.c.id == trade_id).with_for_update()


async def refresh_trade(conn: AsyncConnection, trade_id: int, now: datetime) -> None:
    """Recompute a trade's delivery state from its lines (a delivered trade stays delivered).

    Decided under the trade's row lock: the sibling lines are read after it is held.
    """
    current = (await conn.execute(lock_trade(trade_id))).scalar_one()
    if current == DeliveryState.DELIVERED.value:
        return
    states = [
        LineState(s)
        for s in (await conn.execute(select(lines.c.state).where(lines.c.trade_id == trade_id))).scalars()
    ]
    target = delivery_state(states)
    if target.value != current:
        values: dict[str, Any] = {"delivery_state": target.value, "updated_at": now}
        if target is DeliveryState.DUE:
            values["delivery_next_at"] = now
        await conn.execute(trades.update().where(trades.c.id == trade_id).values(**values))


def _affects_delivery(current: LineState, to: LineState) -> bool:
    """Moves among the in-flight states never change whether a trade is due for write-back."""
    return not (current in IN_FLIGHT and to in IN_FLIGHT)


async def _compare_and_set(
    conn: AsyncConnection, line: LineRecord, sources: tuple[LineState, ...], update: dict[str, Any]
) -> str | None:
    """Set ``update`` on the line if its state is one of ``sources``; the state it left, or None.

    The trade's row, then the line's, are locked first (PostgreSQL); the UPDATE
    repeats the state it read, and its row count decides: a lost race is None.
    """
    await conn.execute(lock_trade(line.trade_id))
    current = (
        await conn.execute(select(lines.c.state).where(lines.c.id == line.id).with_for_update())
    ).scalar_one()
    if LineState(current) not in sources:
        return None
    moved = await conn.execute(
        lines.update().where(and_(lines.c.id == line.id, lines.c.state == current)).values(**update)
    )
    return str(current) if moved.rowcount == 1 else None


async def move_line(
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
    memo: Memo | None = None,
    sets: Mapping[str, Any] | None = None,
) -> bool:
    """Move ``line`` to ``to`` if it is still in one of ``frm`` (default: its recorded state).

    Raises ``IllegalTransition`` for a move the table does not allow. A move to
    EXCEPTION records its reason (and the detail's message) on the line.
    ``sets`` are the other columns a named move changes (store-internal: the
    ports name each move instead), written in the same compare-and-set.
    """
    sources = tuple(frm) if frm is not None else (line.state,)
    for source in sources:
        check_transition(source, to)
    update: dict[str, Any] = {**(sets or {}), "state": to.value, "updated_at": now}
    if to is LineState.EXCEPTION:
        update.update(reason=reason, reason_detail=(detail or {}).get("message"))
    current = await _compare_and_set(conn, line, sources, update)
    if current is None:
        return False
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
        await insert_memo(conn, line.shop, line.tid, memo, now)
    if _affects_delivery(LineState(current), to):
        await refresh_trade(conn, line.trade_id, now)
    return True
