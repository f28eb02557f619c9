"""Migration 0013_text_ids on a database of the previous release: rows kept, request_ids unchanged,
in-flight lines finished without a second apply on a billing core that does not deduplicate.

The rows are the real code's: a bridge on the sandboxes stores and moves Taobao lines (one sent
and applied before its worker died, one whose answer was lost), every other line state is a copy
of a stored line under another oid. They are then written, ids as numbers, into a database built
by Alembic up to 0012_restore_mark, which is upgraded to the newest revision.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command

from adapters.billing_core.sandbox import BillingKnobs
from bridge.core.states import LineState, OperationState
from bridge.services.delivery import write_back_due
from bridge.services.fulfil import fulfil_due, to_operation
from bridge.store import SqlStore, open_store
from bridge.store.archive_schema import events_archive  # noqa: F401  (its table on metadata)
from bridge.store.engine import create_engine_for
from bridge.store.migrate import _config
from bridge.store.schema import metadata
from tests.rig import Rig, open_rig

S, OP = LineState, OperationState
BEFORE = "0012_restore_mark"
TEXT_ID_TABLES = ("trades", "lines", "events", "memos", "audit_log", "reconcile_rows")


async def _in_flight(rig: Rig) -> None:
    """A line SUBMITTED whose call landed before its worker died, and one UNKNOWN (answer lost,
    the apply landing late): both applied once in the billing core."""
    store = rig.deps.store
    await rig.planned()
    [ln] = await store.lines.claim_lines("dead-worker", rig.deps.clock(), 10.0, 1)
    assert await store.operations.begin_submit(ln, ln.operations[0], "dead-worker", rig.deps.clock())
    await rig.deps.billing.apply(to_operation(ln.operations[0]))
    rig.sb.billing.sandbox.set_knobs(slow_apply_rate=1.0, slow_apply_s=1.0)
    await rig.planned()
    await fulfil_due(rig.deps)  # times out after 0.5 s: UNKNOWN; the apply lands later
    rig.sb.billing.sandbox.set_knobs(slow_apply_rate=0.0)
    await asyncio.sleep(1.0)


async def _rows(dsn: str) -> dict[str, list[dict[str, Any]]]:
    engine = create_engine_for(dsn)
    try:
        async with engine.connect() as conn:
            names = await conn.run_sync(lambda c: sa.inspect(c).get_table_names())
            found = {}
            for name in sorted(set(names) - {"alembic_version"}):
                result = await conn.execute(sa.select(metadata.tables[name]).order_by(sa.text("1")))
                found[name] = [dict(r._mapping) for r in result]
            return found
    finally:
        await engine.dispose()


def _every_state(rows: dict[str, list[dict[str, Any]]]) -> None:
    """A copy of the first line in each state no line is in yet, under a new oid and id, leased to
    no one who will come back (so the jobs after the upgrade leave it where it is)."""
    lines = rows["lines"]
    have = {ln["state"] for ln in lines}
    next_id = max(ln["id"] for ln in lines) + 1
    parked = {"lease_owner": "parked", "lease_until": datetime(2100, 1, 1, tzinfo=UTC)}
    for n, state in enumerate(s for s in LineState if s.value not in have):
        lines.append({**lines[0], **parked, "id": next_id + n, "oid": str(9000 + n), "state": state.value})


def _rebuild_at_before(conn: sa.Connection, rows: dict[str, list[dict[str, Any]]]) -> None:
    """Every table dropped, the schema built by Alembic up to 0012, the rows written with numeric ids."""
    reflected = sa.MetaData()
    reflected.reflect(conn)
    reflected.drop_all(conn)
    cfg = _config(conn)
    command.upgrade(cfg, BEFORE)
    for head in metadata.sorted_tables:
        data = rows.get(head.name, [])
        if not data:
            continue
        conn.execute(_as_before(head).insert(), [_numeric(_taobao_words(head.name, r)) for r in data])
        if conn.dialect.name == "postgresql" and "id" in head.c:  # the next id follows the rows
            last = f"(SELECT max(id) FROM {head.name})"
            conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{head.name}', 'id'), {last})")


def _as_before(head: sa.Table) -> sa.Table:
    """``head``'s columns as 0012 had them: ids as numbers, Taobao's states (0014_own_states)."""
    columns = [
        sa.Column(c.name, sa.BigInteger() if c.name in ("tid", "oid") else c.type)
        for c in head.columns
        if (head.name, c.name) != ("trades", "platform_status")
    ]
    if head.name == "memos":
        columns = [sa.Column("flag", sa.Integer()) if c.name == "flag" else c for c in columns]
    return sa.Table(head.name, sa.MetaData(), *columns)


_TOP_REFUNDS = {"none": "NO_REFUND", "requested": "WAIT_SELLER_AGREE", "refused": "SELLER_REFUSE_BUYER"}
_TOP_FLAGS = {"none": 0, "act": 1, "watch": 2, "done": 3, "kept": 4}


def _taobao_words(table: str, row: dict[str, Any]) -> dict[str, Any]:
    """A row in the words the store kept before 0014_own_states: TOP's statuses, flag numbers."""
    if table == "trades":
        return {k: v for k, v in row.items() if k != "platform_status"} | {"status": row["platform_status"]}
    if table == "lines":
        return row | {"refund_status": _TOP_REFUNDS.get(row["refund_status"], "SUCCESS")}
    if table == "memos":
        return row | {"flag": _TOP_FLAGS[row["flag"]]}
    return row


def _numeric(row: dict[str, Any]) -> dict[str, Any]:
    return {k: int(v) if k in ("tid", "oid") and v is not None else v for k, v in row.items()}


async def _rebuild(dsn: str, rows: dict[str, list[dict[str, Any]]]) -> None:
    engine = create_engine_for(dsn)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_rebuild_at_before, rows)
    finally:
        await engine.dispose()


async def _finish_in_flight(rig: Rig, store: SqlStore) -> None:
    """The jobs of a bridge on the upgraded store: the dead worker's lease and the lost answer's
    settle time run out, the parts are looked up first, the trades delivered."""
    deps = dataclasses.replace(rig.deps, store=store)
    rig.later(11)
    await fulfil_due(deps)
    rig.later(4)
    await fulfil_due(deps)
    await write_back_due(deps)


async def test_a_database_at_0012_keeps_every_row_and_its_request_ids_and_finishes_in_flight_lines_once(
    tmp_path: Path, database: str
) -> None:
    """Lines in every state (parts SENT and UNKNOWN among them) survive the upgrade byte for byte,
    and the in-flight ones end APPLIED with one apply per request_id on a non-deduplicating core."""
    async with open_rig(
        tmp_path,
        database=database,
        billing_knobs=BillingKnobs(dedupe=False),
        billing={"timeout_s": 0.5},
        fulfilment={"settle_s": 3.0},
    ) as rig:
        await rig.order(message=(await rig.cards())[0])
        await rig.cycle()  # one delivered trade, with its events and memo rows
        await _in_flight(rig)
        before = await _rows(database)
        _every_state(before)
        assert {ln["state"] for ln in before["lines"]} == {s.value for s in LineState}
        parts = {op["request_id"]: op["state"] for op in before["operations"]}
        assert {OP.SENT.value, OP.UNKNOWN.value} <= set(parts.values())
        await _rebuild(database, before)
        store = await open_store(database, upgrade=True)
        try:
            assert await _rows(database) == before  # every row, every request_id, byte for byte
            await _finish_in_flight(rig, store)
            applies = Counter(op["request_id"] for op in await rig.ledger())
            assert set(applies) == set(parts) and set(applies.values()) == {1}
            done = {
                ln.operations[0].request_id: ln.state for ln in await store.views.all_lines() if ln.operations
            }
            assert {done[rid] for rid in parts} <= {S.APPLIED, S.DELIVERED}
        finally:
            await store.close()
