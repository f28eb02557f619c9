"""The archive: events and audit rows past their retention, out of the hot tables (migration 0009_archive).

``events_archive`` and ``audit_archive`` have the columns of ``events`` and
``audit_log``, and each row keeps the id it had in the hot table (the primary
key, never generated here): a row is archived at most once by construction,
and reading both tables together in id order is the order the rows were
written. Only an order's history is looked up here (by trade, by batch), so
the archive carries those indexes and no others. ``bridge.store.retention``
moves the rows.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Table

from bridge.store.console_schema import audit_log
from bridge.store.schema import events, metadata


def _archive_of(hot: Table, name: str, *indexes: Index) -> Table:
    """A table of ``hot``'s columns named ``name``: the same types, the id kept (not generated)."""
    columns = [
        Column(c.name, c.type, primary_key=c.primary_key, autoincrement=False, nullable=c.nullable)
        for c in hot.columns
    ]
    return Table(name, metadata, *columns, *indexes)


events_archive = _archive_of(events, "events_archive", Index("ix_events_archive_trade", "shop", "tid"))

audit_archive = _archive_of(
    audit_log,
    "audit_archive",
    Index("ix_audit_archive_tid", "tid"),
    Index("ix_audit_archive_batch", "batch"),
)

ARCHIVES: dict[str, tuple[Table, Table]] = {
    "events": (events, events_archive),
    "audit": (audit_log, audit_archive),
}
"""Each kind of row the retention moves: its hot table and its archive."""
