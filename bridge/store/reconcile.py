"""Reconciliation's reads and writes: the day's lines with their parts, the run's lease, its rows.

A day has one run row (unique ``day``): the lease on it (owner, expiry, taken by
compare-and-set) lets one instance reconcile the day at a time; saving a run
updates that row and its disagreements by key (unique per run), so running the
same day again changes rows rather than adding them, and marks the rows the new
run no longer finds as cleared. ``flag_for_reconciliation`` is the named move
that puts a line in front of CS (EXCEPTION with the reconciliation's reason)
from the states the transition table lets reach EXCEPTION, and no other.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncEngine

from bridge.core.reasons import memo_for
from bridge.core.reconcile import Disagreement, DisagreementKind, RowRecord, RunFigures, RunRecord, by_kind
from bridge.core.records import LineRecord
from bridge.core.states import TRANSITIONS, LineState
from bridge.store.rows import aware, load_lines
from bridge.store.schema import insert_ignore, lines, operations, reconcile_rows, reconcile_runs
from bridge.store.transitions import move_line

TO_EXCEPTION = frozenset(s for s, nxt in TRANSITIONS.items() if LineState.EXCEPTION in nxt)
"""The states a line can leave for EXCEPTION: only these are put in front of CS."""


def _run_record(row: RowMapping) -> RunRecord:
    return RunRecord(
        id=row["id"],
        day=date.fromisoformat(row["day"]),
        started_at=aware(row["started_at"]),
        finished_at=aware(row["finished_at"]),
        listing=row["listing"],
        paid_lines=row["paid_lines"],
        bridge_lines=row["bridge_lines"],
        looked_up=row["looked_up"],
        listed=row["listed"],
        disagreements=row["disagreements"],
        by_kind=dict(row["by_kind"] or {}),
        actor=row["actor"],
    )


def _row_record(row: RowMapping) -> RowRecord:
    found = Disagreement(
        kind=DisagreementKind(row["kind"]),
        shop=row["shop"],
        tid=row["tid"],
        oid=row["oid"],
        request_id=row["request_id"],
        operation_id=row["operation_id"],
        paid_fen=row["paid_fen"],
        planned_fen=row["planned_fen"],
        applied_fen=row["applied_fen"],
        detail=row["detail"],
        line_id=row["line_id"],
    )
    first_seen = aware(row["first_seen_at"])
    assert first_seen is not None  # NOT NULL
    return RowRecord(row["id"], found, bool(row["flagged"]), first_seen, aware(row["cleared_at"]))


def _values(found: Disagreement) -> dict[str, Any]:
    return {
        "kind": found.kind.value,
        "shop": found.shop,
        "tid": found.tid,
        "oid": found.oid,
        "request_id": found.request_id,
        "operation_id": found.operation_id,
        "paid_fen": found.paid_fen,
        "planned_fen": found.planned_fen,
        "applied_fen": found.applied_fen,
        "detail": found.detail,
        "line_id": found.line_id,
    }


class ReconcileRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def take_reconcile_lease(
        self, day: date, owner: str, *, now: datetime, until: datetime
    ) -> RunRecord | None:
        """The day's run leased to ``owner`` until ``until``; ``None`` while another instance holds it."""
        async with self._engine.begin() as conn:
            await conn.execute(
                insert_ignore(conn, reconcile_runs, ["day"]),
                [{"day": day.isoformat(), "paid_lines": 0, "bridge_lines": 0, "looked_up": 0, "listed": 0,
                  "disagreements": 0}],
            )  # fmt: skip
            free = or_(
                reconcile_runs.c.lease_owner.is_(None),
                reconcile_runs.c.lease_owner == owner,
                reconcile_runs.c.lease_until < now,
            )
            taken = await conn.execute(
                update(reconcile_runs)
                .where(and_(reconcile_runs.c.day == day.isoformat(), free))
                .values(lease_owner=owner, lease_until=until)
            )
            if taken.rowcount != 1:
                return None
            row = (
                (await conn.execute(select(reconcile_runs).where(reconcile_runs.c.day == day.isoformat())))
                .mappings()
                .one()
            )
            return _run_record(row)

    async def release_reconcile_lease(self, day: date, owner: str) -> None:
        """Give the day's lease up (a run that failed): another may run it at once."""
        async with self._engine.begin() as conn:
            await conn.execute(
                update(reconcile_runs)
                .where(and_(reconcile_runs.c.day == day.isoformat(), reconcile_runs.c.lease_owner == owner))
                .values(lease_owner=None, lease_until=None)
            )

    async def lines_paid_between(self, start: datetime, end: datetime) -> list[LineRecord]:
        """Every line paid in ``[start, end)`` with its parts."""
        async with self._engine.connect() as conn:
            return await load_lines(conn, and_(lines.c.paid_at >= start, lines.c.paid_at < end))

    async def known_request_ids(self, request_ids: Iterable[str]) -> set[str]:
        """Which of ``request_ids`` the bridge ever planned."""
        wanted = sorted(set(request_ids))
        if not wanted:
            return set()
        found: set[str] = set()
        async with self._engine.connect() as conn:
            for at in range(0, len(wanted), 500):
                chunk = wanted[at : at + 500]
                rows = await conn.execute(
                    select(operations.c.request_id).where(operations.c.request_id.in_(chunk))
                )
                found.update(r[0] for r in rows)
        return found

    async def flag_for_reconciliation(
        self, line: LineRecord, *, reason: str, message: str, now: datetime, actor: str
    ) -> bool:
        """Put ``line`` in front of CS (EXCEPTION, ``reason``, a red memo) if its state allows it."""
        if line.state not in TO_EXCEPTION:
            return False
        async with self._engine.begin() as conn:
            return await move_line(
                conn,
                line,
                LineState.EXCEPTION,
                now=now,
                actor=actor,
                kind="reconciliation",
                frm=(line.state,),
                reason=reason,
                detail={"message": message},
                memo=memo_for(line.oid, reason),
            )

    async def save_reconciliation(
        self,
        figures: RunFigures,
        found: Sequence[tuple[Disagreement, bool]],
        *,
        owner: str,
        now: datetime,
    ) -> RunRecord:
        """Store the day's run and its rows (``(disagreement, flagged)``) by key; the lease is released."""
        day = figures.day.isoformat()
        async with self._engine.begin() as conn:
            run_id = (
                await conn.execute(select(reconcile_runs.c.id).where(reconcile_runs.c.day == day))
            ).scalar_one()
            await conn.execute(
                update(reconcile_runs)
                .where(reconcile_runs.c.id == run_id)
                .values(
                    started_at=figures.started_at,
                    finished_at=now,
                    listing=figures.listing,
                    paid_lines=figures.paid_lines,
                    bridge_lines=figures.bridge_lines,
                    looked_up=figures.looked_up,
                    listed=figures.listed,
                    disagreements=len(found),
                    by_kind=by_kind(d for d, _ in found),
                    actor=owner,
                    lease_owner=None,
                    lease_until=None,
                )
            )
            stored = {
                r["key"]: r
                for r in (
                    await conn.execute(
                        select(reconcile_rows.c.key, reconcile_rows.c.id, reconcile_rows.c.flagged).where(
                            reconcile_rows.c.run_id == run_id
                        )
                    )
                ).mappings()
            }
            fresh = []
            for d, flagged in found:
                before = stored.get(d.key)
                if before is None:
                    fresh.append(
                        _values(d)
                        | {"run_id": run_id, "key": d.key, "flagged": int(flagged), "first_seen_at": now}
                    )
                    continue
                await conn.execute(
                    update(reconcile_rows)
                    .where(reconcile_rows.c.id == before["id"])
                    .values(
                        _values(d) | {"flagged": int(flagged or bool(before["flagged"])), "cleared_at": None}
                    )
                )
            if fresh:
                await conn.execute(insert_ignore(conn, reconcile_rows, ["run_id", "key"]), fresh)
            gone = set(stored) - {d.key for d, _ in found}
            if gone:
                await conn.execute(
                    update(reconcile_rows)
                    .where(
                        and_(
                            reconcile_rows.c.run_id == run_id,
                            reconcile_rows.c.key.in_(sorted(gone)),
                            reconcile_rows.c.cleared_at.is_(None),
                        )
                    )
                    .values(cleared_at=now)
                )
            row = (
                (await conn.execute(select(reconcile_runs).where(reconcile_runs.c.id == run_id)))
                .mappings()
                .one()
            )
            return _run_record(row)

    async def reconcile_runs(self, limit: int = 90) -> list[RunRecord]:
        """The reconciled days, newest first (a day whose run never finished included)."""
        async with self._engine.connect() as conn:
            rows = await conn.execute(
                select(reconcile_runs).order_by(reconcile_runs.c.day.desc()).limit(limit)
            )
            return [_run_record(r) for r in rows.mappings()]

    async def reconcile_run(self, day: date) -> tuple[RunRecord, list[RowRecord]] | None:
        """One day's run and its rows (cleared ones last), or ``None`` when it was never reconciled."""
        async with self._engine.connect() as conn:
            run = (
                (await conn.execute(select(reconcile_runs).where(reconcile_runs.c.day == day.isoformat())))
                .mappings()
                .one_or_none()
            )
            if run is None:
                return None
            rows = await conn.execute(
                select(reconcile_rows)
                .where(reconcile_rows.c.run_id == run["id"])
                .order_by(
                    reconcile_rows.c.cleared_at.is_not(None), reconcile_rows.c.kind, reconcile_rows.c.id
                )
            )
            return _run_record(run), [_row_record(r) for r in rows.mappings()]
