"""Security (issue 4 §4): the adapters check the answers they get, end to end.

A billing core (or something posing as one) that answers a recharge with
another operation must not get the line recorded as applied or the trade
shipped. Such an answer to a POST means "maybe applied": the bridge looks the
request_id up, and when the lookup makes no sense either the line goes to a
person naming the nonsense, never cancellable as unprovisioned. (The marketplace's
"answer for another trade" is a case of ``test_hostile_marketplace.py``; the
client-level checks live in ``tests/adapters/billing_core``.)
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from bridge.core.states import LineState
from tests.rig import Rig, line, open_rig


async def _impostor(request: web.Request) -> web.Response:
    """Answers every operation as if it were another one (a proxy mixing up answers)."""
    return web.json_response(
        {
            "request_id": "main:1:1:0",
            "operation_id": "OP1",
            "kind": "recharge",
            "status": "applied",
            "applied_at": "2026-11-24T10:00:00+08:00",
            "balance_fen": 10000,
        }
    )


@pytest.fixture
async def impostor_rig(tmp_path: Path, database: str) -> AsyncIterator[Rig]:
    app = web.Application()
    app.router.add_post("/v1/operations", _impostor)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        async with open_rig(
            tmp_path, database=database, billing={"base_url": f"http://127.0.0.1:{port}"}
        ) as rig:
            yield rig
    finally:
        await runner.cleanup()


async def test_an_answer_for_another_operation_is_not_taken_as_applied(impostor_rig: Rig) -> None:
    """Maybe applied, looked up, then a person with BILLING_ANSWER_INVALID; the trade is not shipped."""
    rig = impostor_rig
    tid = await rig.order(line(), message=f"卡号{(await rig.cards())[0]}")
    await rig.cycle()
    [stored] = await rig.lines(tid)
    assert (stored.state, stored.operations[0].state) == (LineState.UNKNOWN, "UNKNOWN")
    rig.later(2)
    await rig.cycle()  # the impostor has no lookup: its 404 page is nonsense too
    [stored] = await rig.lines(tid)
    assert (stored.state, stored.reason) == (LineState.EXCEPTION, "BILLING_ANSWER_INVALID")
    assert stored.operations[0].state == "UNKNOWN"  # never cancelled as unprovisioned
    assert (await rig.market_trade(tid))["deliveries"] == []
