"""Migration 0014_own_states: Taobao's stored words become the bridge's, every row kept.

A bridge on the sandboxes stores a delivered trade (its lines, events and memo rows); the trade,
its line and its memo are copied once for every TOP trade status, refund status and flag colour,
written in Taobao's words into a database built by Alembic up to 0013_text_ids, and upgraded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command

from bridge.store.engine import create_engine_for
from bridge.store.migrate import _config, head_revision
from bridge.store.schema import lines, memos, metadata, trades
from tests.rig import line, open_rig

BEFORE = "0013_text_ids"
TRADE_STATES = {
    "WAIT_BUYER_PAY": "unpaid",
    "TRADE_NO_CREATE_PAY": "unpaid",
    "PAY_PENDING": "unpaid",
    "WAIT_SELLER_SEND_GOODS": "paid",
    "SELLER_CONSIGNED_PART": "part_shipped",
    "WAIT_BUYER_CONFIRM_GOODS": "shipped",
    "TRADE_BUYER_SIGNED": "shipped",
    "TRADE_FINISHED": "finished",
    "TRADE_CLOSED": "closed",
    "TRADE_CLOSED_BY_TAOBAO": "closed",
    "PAID_FORBID_CONSIGN": "other",
    "SOMETHING_NEW": "other",
}
REFUNDS = {
    "NO_REFUND": "none",
    "WAIT_SELLER_AGREE": "requested",
    "WAIT_BUYER_RETURN_GOODS": "requested",
    "WAIT_SELLER_CONFIRM_GOODS": "requested",
    "SELLER_REFUSE_BUYER": "refused",
    "CLOSED": "none",
    "SUCCESS": "refunded",
}
FLAGS = {0: "none", 1: "act", 2: "watch", 3: "done", 4: "kept", 5: "kept"}


def _copies(rows: dict[str, list[dict[str, Any]]]) -> None:
    """The stored trade, line and memo copied once per Taobao word, each under its own ids."""
    trade, stored, memo = rows["trades"][0], rows["lines"][0], rows["memos"][0]
    for n, status in enumerate(TRADE_STATES):
        rows["trades"].append({**trade, "id": 100 + n, "tid": f"7{n}", "status": status})
    for n, refund in enumerate(REFUNDS):
        rows["lines"].append({**stored, "id": 100 + n, "oid": f"8{n}", "refund_status": refund})
    for n, flag in enumerate(FLAGS):
        rows["memos"].append({**memo, "id": 100 + n, "key": f"copy:{n}", "flag": flag})


def _at_before(conn: sa.Connection, rows: dict[str, list[dict[str, Any]]]) -> None:
    """Every table dropped, the schema built by Alembic up to 0013, the rows written as 0013 kept them."""
    reflected = sa.MetaData()
    reflected.reflect(conn)
    reflected.drop_all(conn)
    command.upgrade(_config(conn), BEFORE)
    for head in (trades, lines, memos):
        conn.execute(_as_before(head).insert(), rows[head.name])


def _as_before(head: sa.Table) -> sa.Table:
    """``head``'s columns as 0013 had them: no platform_status, a memo's flag a number."""
    columns = [
        sa.Column(c.name, sa.Integer() if (head.name, c.name) == ("memos", "flag") else c.type)
        for c in head.columns
        if c.name != "platform_status"
    ]
    return sa.Table(head.name, sa.MetaData(), *columns)


def _taobao_words(rows: dict[str, list[dict[str, Any]]]) -> None:
    """The rows the bridge stored, in the words it kept before 0014."""
    top = {v: k for k, v in TRADE_STATES.items()}
    rows["trades"] = [
        {k: v for k, v in r.items() if k != "platform_status"}
        | {"status": r["platform_status"] or top[r["status"]]}
        for r in rows["trades"]
    ]
    back = {v: k for k, v in REFUNDS.items()}
    rows["lines"] = [r | {"refund_status": back[r["refund_status"]]} for r in rows["lines"]]
    flags = {v: k for k, v in FLAGS.items()}
    rows["memos"] = [r | {"flag": flags[r["flag"]]} for r in rows["memos"]]


async def _read(dsn: str, table: sa.Table, *columns: str) -> list[tuple[Any, ...]]:
    engine = create_engine_for(dsn)
    try:
        async with engine.connect() as conn:
            query = sa.select(*(table.c[c] for c in columns)).order_by(table.c.id)
            return [tuple(r) for r in (await conn.execute(query)).all()]
    finally:
        await engine.dispose()


async def test_stored_states_become_the_bridges_words_and_every_row_is_kept(
    tmp_path: Path, database: str
) -> None:
    """Each TOP trade status, refund status and flag becomes its OrderState, RefundState and
    Severity ("kept" for a person's colour); the TOP status stays in platform_status."""
    async with open_rig(tmp_path, database=database) as rig:
        await rig.order(message=(await rig.cards())[0])
        await rig.order(line("TV-NEW-1", "5.00"))  # unmapped: a memo row for CS
        await rig.cycle()
    engine = create_engine_for(database)
    try:
        async with engine.begin() as conn:
            rows = {
                name: [dict(r._mapping) for r in await conn.execute(sa.select(metadata.tables[name]))]
                for name in ("trades", "lines", "memos")
            }
            _taobao_words(rows)
            _copies(rows)
            await conn.run_sync(_at_before, rows)
            await conn.run_sync(lambda c: command.upgrade(_config(c), head_revision()))
    finally:
        await engine.dispose()
    got = await _read(database, trades, "platform_status", "status")
    stored = [r["status"] for r in rows["trades"][:2]]
    assert got == [(s, TRADE_STATES[s]) for s in [*stored, *TRADE_STATES]]
    assert [r for (r,) in await _read(database, lines, "refund_status")][2:] == list(REFUNDS.values())
    assert [f for (f,) in await _read(database, memos, "flag")][-len(FLAGS) :] == list(FLAGS.values())
