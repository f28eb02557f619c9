"""Counting what the store sends to its database: statements and transactions, by phase.

``SqlCounter`` listens on an engine (SQLAlchemy's ``before_cursor_execute``
and ``begin`` events), so it counts through the real code path whatever the
engine: one ``executemany`` is one statement (one round trip), a SQLite
``BEGIN IMMEDIATE`` is the transaction's start, not a statement of its own,
and a read on ``engine.connect()`` is a transaction too (SQLAlchemy begins one
for it). ``phase(name)`` files what runs inside it under that name, so a test or
a scratch measurement can break the counts down by service.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine


class SqlCounter:
    """Statements and transactions sent through ``engine`` while attached, by phase."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._sync = engine.sync_engine
        self._phase = "other"
        self.statements: Counter[str] = Counter()
        self.transactions: Counter[str] = Counter()
        self.texts: Counter[str] = Counter()

    def _on_execute(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("BEGIN"):
            return  # SQLite's BEGIN IMMEDIATE: counted as the transaction it starts
        self.statements[self._phase] += 1
        self.texts[f"{self._phase}: {' '.join(statement.split())[:90]}"] += 1

    def _on_begin(self, conn: Any) -> None:
        self.transactions[self._phase] += 1

    def attach(self) -> None:
        event.listen(self._sync, "before_cursor_execute", self._on_execute)
        event.listen(self._sync, "begin", self._on_begin)

    def detach(self) -> None:
        event.remove(self._sync, "before_cursor_execute", self._on_execute)
        event.remove(self._sync, "begin", self._on_begin)

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Count what runs inside the block under ``name``."""
        before, self._phase = self._phase, name
        try:
            yield
        finally:
            self._phase = before

    def total(self) -> tuple[int, int]:
        """(statements, transactions) over every phase."""
        return sum(self.statements.values()), sum(self.transactions.values())


@contextmanager
def counting(engine: AsyncEngine) -> Iterator[SqlCounter]:
    """A ``SqlCounter`` attached to ``engine`` for the block."""
    counter = SqlCounter(engine)
    counter.attach()
    try:
        yield counter
    finally:
        counter.detach()
