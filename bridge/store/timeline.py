"""What a transaction adds beside its moves: timeline rows (masked) and queued seller memos.

Rows are built as plain dicts first (``event_row``, ``memo_row``) so that a
transaction moving several lines writes all their events, and all their memos,
in one multi-row statement each (``add_events``, ``insert_memos``), cut to fit the
engine (``bridge.store.chunks``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from bridge.core.masking import mask_detail
from bridge.core.reasons import Memo
from bridge.core.states import MemoState
from bridge.store.chunks import chunks
from bridge.store.schema import events, insert_ignore, memos


def event_row(
    *,
    now: datetime,
    shop: str,
    tid: str,
    actor: str,
    kind: str,
    oid: str | None = None,
    line_id: int | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
    reason: str | None = None,
    detail: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One row of a trade's timeline, its detail masked."""
    return {
        "at": now,
        "shop": shop,
        "tid": tid,
        "oid": oid,
        "line_id": line_id,
        "actor": actor,
        "kind": kind,
        "from_state": from_state,
        "to_state": to_state,
        "reason": reason,
        "detail": mask_detail(detail),
    }


_INSERT_EVENTS = events.insert()  # built once: the commonest statement of all


async def add_events(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    """Insert timeline rows in one statement (one round trip) per piece that fits the engine."""
    if rows:
        for piece in chunks(conn, rows, params_per_row=len(rows[0])):
            await conn.execute(_INSERT_EVENTS, piece)


async def add_event(conn: AsyncConnection, **row: Any) -> None:
    """One row of a trade's timeline (``event_row``'s arguments); the detail is masked."""
    await add_events(conn, [event_row(**row)])


def memo_row(shop: str, tid: str, memo: Memo, now: datetime) -> dict[str, Any]:
    return {
        "shop": shop,
        "tid": tid,
        "key": memo.key,
        "text": memo.text,
        "flag": memo.flag.value,
        "state": MemoState.PENDING.value,
        "attempts": 0,
        "next_at": now,
        "created_at": now,
    }


async def insert_memos(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    """Queue seller memos; the same key on the same trade is queued once (a constraint)."""
    if rows:
        for piece in chunks(conn, rows, params_per_row=len(rows[0])):
            await conn.execute(insert_ignore(conn, memos, ["shop", "tid", "key"]), piece)


async def insert_memo(conn: AsyncConnection, shop: str, tid: str, memo: Memo, now: datetime) -> None:
    await insert_memos(conn, [memo_row(shop, tid, memo, now)])
