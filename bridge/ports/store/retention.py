"""The store's role for the retention: events and audit rows past their time, moved to the archive."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Protocol

ArchiveKind = Literal["events", "audit"]
"""The rows the retention moves: a trade's timeline (``events``) or the audit log (``audit``)."""


class RetentionStorePort(Protocol):
    """Moves old rows from a hot table to its archive; lines, operations and trades are never touched."""

    async def archive_batch(self, kind: ArchiveKind, before: datetime, limit: int) -> int:
        """Move the oldest rows of ``kind`` written before ``before``, at most ``limit`` (and at most
        what one statement of the engine takes), to the archive in one transaction: each row is in
        exactly one of the two tables before and after, whoever else moves rows at the same time.
        How many moved; 0 when none is left."""
        ...

    async def archivable(self, kind: ArchiveKind, before: datetime) -> int:
        """How many rows of ``kind`` written before ``before`` are still in the hot table."""
        ...
