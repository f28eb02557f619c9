"""The hot path's cost in the database: statements and transactions per settled line.

Counted by SQLAlchemy's own events (``tests.sql_counts``) through the real
services on both engines: N paid one-line orders go through one pass of every
job (intake, planning, fulfilment, write-back, memos) and end DELIVERED. A
count, not a timing: it fails when a change adds round trips to the happy path.
"""

from __future__ import annotations

from typing import cast

from bridge.core.states import LineState
from bridge.services.delivery import write_back_due
from bridge.services.fulfil import fulfil_due
from bridge.services.intake import poll_all
from bridge.services.memos import write_memos_due
from bridge.services.planning import plan_due
from bridge.store import SqlStore
from tests.rig import Rig, line
from tests.sql_counts import SqlCounter, counting

ORDERS = 24
MAX_STATEMENTS_PER_LINE = 12
MAX_TRANSACTIONS_PER_LINE = 4


async def _one_pass(rig: Rig, counter: SqlCounter) -> None:
    """One pass of every job in the daemon's order; write-back until none is due (it claims batches)."""
    steps = [("intake", poll_all), ("planning", plan_due), ("fulfil", fulfil_due)]
    for name, step in steps:
        with counter.phase(name):
            await step(rig.deps)
    with counter.phase("delivery"):
        while await write_back_due(rig.deps):
            pass
    with counter.phase("memos"):
        await write_memos_due(rig.deps)


def _report(counter: SqlCounter, lines: int) -> str:
    phases = sorted(set(counter.statements) | set(counter.transactions))
    rows = [
        f"{p}: {counter.statements[p] / lines:.2f} stmts, {counter.transactions[p] / lines:.2f} txns"
        for p in phases
    ]
    texts = "\n".join(f"{n:5d} {text}" for text, n in sorted(counter.texts.items()))
    return "per line — " + "; ".join(rows) + "\n" + texts


async def test_happy_path_stays_within_the_statement_and_transaction_budget(rig: Rig) -> None:
    """N one-line orders, intake to delivered: ≤ 12 statements and ≤ 4 transactions per line."""
    cards = await rig.cards()
    for i in range(ORDERS):
        await rig.order(line(), message=cards[i % len(cards)])
    engine = cast(SqlStore, rig.deps.store).engine  # the rig's store is the real one
    with counting(engine) as counter:
        await _one_pass(rig, counter)
    lines = await rig.lines()
    assert [ln.state for ln in lines] == [LineState.DELIVERED] * ORDERS
    statements, transactions = counter.total()
    assert statements <= MAX_STATEMENTS_PER_LINE * ORDERS, _report(counter, ORDERS)
    assert transactions <= MAX_TRANSACTIONS_PER_LINE * ORDERS, _report(counter, ORDERS)
