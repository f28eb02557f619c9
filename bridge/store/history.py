"""An order's history read from a hot table and its archive together, in the order it was written.

Events and audit rows past their retention live in the archive
(``bridge.store.archive_schema``) with the ids they had, so every reader of an
order's history (the order page's timeline, the audit log, a bulk action's
entries, intake's "recorded once" check) asks both tables and orders by id:
an old order's history is still found, whole, where it was before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Select, Subquery, Table, select, union_all

Where = Callable[[Table], Any]
"""The condition on one table of the pair (each side is filtered by its own columns)."""


def both(pair: tuple[Table, Table], where: Where) -> Subquery:
    """The rows of the hot table and of its archive for which ``where`` holds."""
    return union_all(*(select(t).where(where(t)) for t in pair)).subquery()


def in_order(pair: tuple[Table, Table], where: Where) -> Select[Any]:
    """The rows of both tables for which ``where`` holds, oldest first."""
    rows = both(pair, where)
    return select(rows).order_by(rows.c.id)


def newest(pair: tuple[Table, Table], where: Where, limit: int) -> Select[Any]:
    """The newest ``limit`` rows of both tables for which ``where`` holds, newest first: each table
    gives its own newest (through its index) before they are merged."""
    parts = [select(t).where(where(t)).order_by(t.c.id.desc()).limit(limit).subquery() for t in pair]
    rows = union_all(*(select(p) for p in parts)).subquery()
    return select(rows).order_by(rows.c.id.desc()).limit(limit)
