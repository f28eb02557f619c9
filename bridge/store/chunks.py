"""Statements over many rows or ids, cut to fit the engine's limits: the one owner of the cutting.

A trade may hold thousands of lines, and one statement cannot take them all:
SQLite refuses a compound SELECT of more than 500 terms (SQLITE_MAX_COMPOUND_SELECT,
which bounds the ``UNION ALL`` of a batch's compare-and-set) and more bound
variables than SQLITE_MAX_VARIABLE_NUMBER (32,766 by default since 3.32);
PostgreSQL through asyncpg takes at most 32,767 bind parameters. Every
statement whose ids or rows grow with a trade goes through ``chunks``, which
cuts the list into pieces that fit with room to spare for the statement's own
parameters. Sorted input stays sorted piece by piece, so rows locked piece by
piece are still locked in id order.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection

__all__ = ["LIMITS", "SHAPED_ROWS", "Limit", "chunks", "rows_per_statement", "shape_for"]

T = TypeVar("T")


@dataclass(frozen=True)
class Limit:
    """What one statement may carry: bound parameters, and rows (None: no limit but the parameters)."""

    params: int
    rows: int | None = None


LIMITS: dict[str, Limit] = {
    # 32,766 variables, 500 compound terms; a margin left for the statement's own parameters
    "sqlite": Limit(params=32_000, rows=500),
    # asyncpg: 32,767 bind parameters (a 16-bit count in the wire protocol); a few thousand rows
    # in one compare-and-set's UNION ALL take the planner past the statement timeout
    "postgresql": Limit(params=32_000, rows=1_000),
}


def rows_per_statement(conn: AsyncConnection, params_per_row: int = 1) -> int:
    """How many rows (or ids) of ``params_per_row`` parameters each fit in one statement on ``conn``."""
    limit = LIMITS[conn.dialect.name]
    fit = max(1, limit.params // max(1, params_per_row))
    return fit if limit.rows is None else max(1, min(fit, limit.rows))


def chunks(
    conn: AsyncConnection, items: Sequence[T], params_per_row: int = 1, at_most: int | None = None
) -> Iterator[list[T]]:
    """``items`` in pieces that each fit in one statement on ``conn`` (nothing for an empty list), of
    at most ``at_most`` rows when given."""
    size = rows_per_statement(conn, params_per_row)
    size = size if at_most is None else max(1, min(size, at_most))
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


SHAPED_ROWS = 128
"""The most rows a statement built per row count carries (``shape_for``)."""


def shape_for(rows: int, most: int) -> int:
    """How many rows a statement built per row count is built for when it carries ``rows``: the next
    power of two, at most ``most`` (what ``rows_per_statement`` allows). Such statements are cached
    per shape by the bridge and, compiled, by SQLAlchemy; one per row count would keep hundreds of
    statements of thousands of parameters each (a backlog of 100,000 lines grew the daemon by
    ~0.6 MB per 1,000 lines), one per power of two keeps about ten. The caller pads the rows it lacks
    with rows that match nothing. Such statements take at most ``SHAPED_ROWS`` rows: a shape of 500
    rows is a statement of thousands of parameters (about 5 MB built and compiled), one of 128 about
    1 MB, and each set of columns has its own shapes."""
    if rows < 1:
        raise ValueError(f"a statement carries at least one row, not {rows}")
    return min(1 << (rows - 1).bit_length(), max(rows, most))
