"""The store's role for reconciliation."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Protocol

from bridge.core.reconcile import Disagreement, RowRecord, RunFigures, RunRecord
from bridge.core.records import (
    LineRecord,
)


class ReconcileStorePort(Protocol):
    """Reconciliation: the day's lines, the request_ids known, the run's lease, its rows by key."""

    async def take_reconcile_lease(
        self, day: date, owner: str, *, now: datetime, until: datetime
    ) -> RunRecord | None:
        """The day's run leased to ``owner``; ``None`` while another instance holds its lease."""
        ...

    async def release_reconcile_lease(self, day: date, owner: str) -> None: ...

    async def lines_paid_between(self, start: datetime, end: datetime) -> list[LineRecord]:
        """Every line paid in ``[start, end)``, with its parts."""
        ...

    async def known_request_ids(self, request_ids: Iterable[str]) -> set[str]:
        """Which of these request_ids the bridge ever planned."""
        ...

    async def flag_for_reconciliation(
        self, line: LineRecord, *, reason: str, message: str, now: datetime, actor: str
    ) -> bool:
        """EXCEPTION with ``reason`` (a red memo) when the line's state may move there; else False."""
        ...

    async def save_reconciliation(
        self, figures: RunFigures, found: Sequence[tuple[Disagreement, bool]], *, owner: str, now: datetime
    ) -> RunRecord:
        """The day's run and its rows, by key (a day run again updates, never duplicates); lease released."""
        ...

    async def reconcile_runs(self, limit: int = 90) -> list[RunRecord]: ...

    async def reconcile_run(self, day: date) -> tuple[RunRecord, list[RowRecord]] | None: ...
