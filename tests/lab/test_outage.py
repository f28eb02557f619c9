"""Outages (issue 4 §2): while the billing core is closed or unreachable, provisioning pauses.

The breaker (``bridge.services.deps.Breaker``, used by ``bridge.services.fulfil``) stops claiming
lines after the first refusals; an outage costs no attempt and turns no order
into an exception however long it lasts. Burst mode with a movable clock, so
"longer than the whole retry budget" takes no real time. That work resumes by
itself, and how fast the backlog drains, is shown with the daemon process in
``test_outage_daemon.py``.
"""

from __future__ import annotations

from pathlib import Path

from adapters.billing_core.sandbox import BillingKnobs
from bridge.core.states import LineState
from bridge.lab.daemon_process import free_port
from bridge.services.fulfil import fulfil_due
from bridge.services.intake import poll_all
from tests.rig import Rig, line, open_rig

CLOSED = BillingKnobs(maintenance=True, maintenance_retry_after_s=30)


async def _backlog(rig: Rig, orders: int) -> None:
    """``orders`` paid one-line top-ups, stored and planned (READY)."""
    cards = await rig.cards()
    for n in range(orders):
        await rig.order(line(), message=f"卡号{cards[n]}")
    await poll_all(rig.deps)


async def _rounds(rig: Rig, rounds: int, gap_s: float) -> None:
    for _ in range(rounds):
        rig.later(gap_s)
        await fulfil_due(rig.deps)


async def test_maintenance_stops_claims_after_one_round(tmp_path: Path, database: str) -> None:
    """However big the backlog, the first 503s open the breaker: one round of calls, then none."""
    async with open_rig(tmp_path, database=database, billing_knobs=CLOSED) as rig:
        await _backlog(rig, 40)
        await fulfil_due(rig.deps)
        await fulfil_due(rig.deps)
        assert rig.deps.runtime.breaker.is_open(rig.deps.clock())
        assert await rig.billing_calls("503") <= rig.deps.settings.fulfilment.max_in_flight


async def test_a_window_longer_than_the_retry_budget_costs_no_attempt(tmp_path: Path, database: str) -> None:
    """Each line refused twice as often as max_attempts allows: still READY, attempts 0."""
    async with open_rig(tmp_path, database=database, billing_knobs=CLOSED) as rig:
        await _backlog(rig, rig.deps.settings.fulfilment.max_in_flight)
        rounds = 2 * rig.deps.settings.fulfilment.max_attempts
        await _rounds(rig, rounds, gap_s=31)
        assert await rig.billing_calls("503") >= rounds
        assert {(ln.state, ln.attempts) for ln in await rig.lines()} == {(LineState.READY, 0)}


async def test_a_window_turns_no_order_into_an_exception(tmp_path: Path, database: str) -> None:
    """Orders the billing core will refuse for good (unknown card) wait too: the window says nothing."""
    async with open_rig(tmp_path, database=database, billing_knobs=CLOSED) as rig:
        for n in range(5):
            await rig.order(line(), message=f"卡号837100000000{n:04d}")  # no such subscriber
        await poll_all(rig.deps)
        await _rounds(rig, 2 * rig.deps.settings.fulfilment.max_attempts, gap_s=31)
        assert {ln.state for ln in await rig.lines()} == {LineState.READY}


async def test_an_unreachable_billing_core_pauses_provisioning_too(tmp_path: Path, database: str) -> None:
    """Connection refused opens the breaker like maintenance: no attempt counted, nothing failed."""
    nowhere = {"base_url": f"http://127.0.0.1:{free_port()}"}
    async with open_rig(tmp_path, database=database, billing=nowhere) as rig:
        await _backlog(rig, 4)
        await _rounds(rig, 2 * rig.deps.settings.fulfilment.max_attempts, gap_s=6)
        assert rig.deps.runtime.breaker.reason == "UNREACHABLE"
        assert {(ln.state, ln.attempts) for ln in await rig.lines()} == {(LineState.READY, 0)}


async def test_provisioning_resumes_when_the_window_closes(tmp_path: Path, database: str) -> None:
    """Once the billing core answers again, the next runs provision and deliver the whole backlog."""
    async with open_rig(tmp_path, database=database, billing_knobs=CLOSED) as rig:
        await _backlog(rig, 20)
        await _rounds(rig, 3, gap_s=31)
        rig.sb.billing.sandbox.set_knobs(maintenance=False)
        rig.later(31)
        for _ in range(3):
            await rig.cycle()
        assert {ln.state for ln in await rig.lines()} == {LineState.DELIVERED}
        assert len(await rig.ledger()) == 20
