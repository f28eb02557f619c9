"""A trade of 5,000 lines settles like any other: every statement over its lines fits the engine.

5,000 lines cross every cut the store makes (bridge.store.chunks): SQLite's 500 compound terms ten
times, PostgreSQL's 1,000 rows five times; and a statement left uncut over them would break the
engines' 32,766/32,767 bound parameters at 7 parameters a line (the lines' insert binds about 30,
an event's 8, an operation's 10). ``python -m bench.big_trade --lines 10000`` drives 10,000 and more.
"""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path

import pytest
import structlog

from bridge.core.states import DeliveryState, LineState
from bridge.services.delivery import write_back_due
from bridge.services.fulfil import fulfil_due
from bridge.services.intake import poll_all
from bridge.services.planning import plan_due
from tests.rig import line, open_rig

LINES = 5_000
NO_CEILING = {"trade_amount_fen": 10**12, "trade_quantity": 10**9}
"""Its lines pass the trade's ceilings: the statements, not an admin's approval, are under test."""


@pytest.mark.slow
@pytest.mark.timeout(600)  # ~30 s on SQLite, ~60 s on PostgreSQL alone; more beside the other workers
async def test_a_five_thousand_line_trade_is_delivered(tmp_path: Path, database: str) -> None:
    """5,000 lines go RECEIVED → … → DELIVERED, and so does their trade, through the real services."""
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    async with open_rig(
        tmp_path, database=database, fulfilment={"max_in_flight": 64}, ceilings=NO_CEILING
    ) as rig:
        [card] = (await rig.cards())[:1]
        tid = await rig.order(*(line() for _ in range(LINES)), message=card)
        await poll_all(rig.deps)
        while await plan_due(rig.deps, limit=2_000):
            pass
        for _ in range(3):
            await fulfil_due(rig.deps)
            await write_back_due(rig.deps)
        [trade] = await rig.deps.store.views.find_trades(tid)
        states = Counter(ln.state for ln in await rig.lines(tid))
        assert states == {LineState.DELIVERED: LINES}
        assert (trade.delivery_state, trade.delivery_error) == (DeliveryState.DELIVERED, None)
        assert len(await rig.ledger(tid)) == LINES
