"""The audit log's one row builder, and its insert inside a caller's transaction.

An audited change commits its audit row in the transaction that makes the
change (a move and its event rows, a batch started, a user changed): a crash
or a database error between the two can leave neither, never one alone. The
store method that makes the change takes an ``AuditNote`` and calls
``insert_audit`` on its own connection once the change is made; an action that
changes nothing writes its row alone (``ConsoleRepository.add_audit``). Every
row is masked like event rows.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_
from sqlalchemy.ext.asyncio import AsyncConnection

from bridge.core.masking import mask_detail, mask_text
from bridge.core.records import AuditNote, LineRecord
from bridge.core.states import LineState
from bridge.store.console_schema import audit_log


def audit_values(
    note: AuditNote, line: LineRecord | None = None, before: str | None = None, after: str | None = None
) -> dict[str, Any]:
    """The row of ``note`` about ``line`` (if any), its state ``before`` → ``after``; the note and the detail
    masked (a person may type a card number in either)."""
    values: dict[str, Any] = dict(
        batch=note.batch,
        at=note.at,
        actor=note.actor,
        action=note.action,
        outcome=note.outcome,
        before=before,
        after=after,
        note=mask_text(note.note) if note.note else note.note,
        detail=mask_detail(note.detail),
    )
    if line is not None:
        values.update(shop=line.shop, tid=line.tid, oid=line.oid, line_id=line.id)
    return values


async def insert_audit(
    conn: AsyncConnection,
    note: AuditNote | None,
    line: LineRecord | None = None,
    before: str | None = None,
    after: str | None = None,
) -> None:
    """Insert ``note``'s row on ``conn`` (the change's own transaction); nothing when ``note`` is None."""
    if note is not None:
        await conn.execute(audit_log.insert().values(**audit_values(note, line, before, after)))


async def audit_move(
    conn: AsyncConnection, moved: bool, note: AuditNote | None, line: LineRecord, to: LineState
) -> bool:
    """A person's move audited in its transaction: ``note``'s row (``line``'s state → ``to``) only
    when the line ``moved``; ``moved`` handed back."""
    if moved:
        await insert_audit(conn, note, line, line.state.value, to.value)
    return moved


async def amend_audit(
    conn: AsyncConnection, was: AuditNote, now: AuditNote, line: LineRecord | None, after: str | None
) -> bool:
    """Rewrite the outcome, "after" and detail of the row written for ``was`` (found by its moment,
    actor, action and line) as ``now`` says; False when there is no such row."""
    values = audit_values(now, line, after=after)
    where = and_(
        audit_log.c.at == was.at,
        audit_log.c.actor == was.actor,
        audit_log.c.action == was.action,
        audit_log.c.line_id == line.id if line is not None else audit_log.c.line_id.is_(None),
    )
    keep = ("outcome", "after", "detail")
    done = await conn.execute(audit_log.update().where(where).values({k: values[k] for k in keep}))
    return bool(done.rowcount)
