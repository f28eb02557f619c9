"""A settlement window under the real daemon: it pauses, costs nothing, and the backlog drains by itself.

One scenario (a module fixture): the billing core is in maintenance when 60
orders arrive; once every line is planned and the billing core has refused
several rounds of calls, the store is read (what the window did), the window
closes, and nobody touches the daemon until every line is settled. The drain
rate against the billing core's capacity (in-flight cap ÷ latency) is printed.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from adapters.billing_core.sandbox import BillingKnobs
from bridge.core.records import LineRecord
from bridge.core.states import LineState
from bridge.lab import DEMO_MAPPINGS
from bridge.lab.sandboxes import Sandboxes, running_sandboxes
from bridge.lab.scenario import OrderMaker, PlannedOrder, fetch_subscribers, place_orders
from bridge.lab.torture_report import settled
from bridge.lab.verify import fetch_records, verify_run
from bridge.services.mappings import load_mapping_set
from bridge.store import MappingDir
from tests.databases import throwaway_database
from tests.lab.conftest import Daemon, running_daemon, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]

CAP, LATENCY_MS = 4, 200  # billing capacity: 4 in flight ÷ 0.2 s = 20 calls/s
PLAN_TIME_REASONS = {"UNMAPPED_SKU", "AMOUNT_MISMATCH", "CARD_MISSING"}


@dataclass
class Window:
    during: list[LineRecord]
    report: dict[str, Any]


def _refused(sb: Sandboxes) -> int:
    return sum(n for (_, status), n in sb.billing.sandbox.calls.items() if status == "503")


async def _through_the_window(sb: Sandboxes, d: Daemon, placed: list[PlannedOrder]) -> list[LineRecord]:
    expected = sum(len(o.lines) for o in placed)

    async def planned_and_refused() -> bool:
        counts = await d.store.views.state_counts()
        planned = sum(counts.values()) >= expected and counts.get("RECEIVED", 0) == 0
        return planned and _refused(sb) >= 3 * CAP  # several breaker rounds

    await wait_for(planned_and_refused, 60, "every line planned and three rounds refused")
    return await d.store.views.all_lines()


async def _scenario(workdir: Path, engine: str) -> Window:
    knobs = BillingKnobs(
        maintenance=True, maintenance_retry_after_s=1, latency_ms=LATENCY_MS, max_in_flight=CAP
    )
    async with running_sandboxes(seed=5, billing_knobs=knobs) as sb, aiohttp.ClientSession() as http:
        maker = OrderMaker(
            load_mapping_set(MappingDir(DEMO_MAPPINGS)), await fetch_subscribers(http, sb.billing_url), 5
        )
        async with (
            throwaway_database(engine, workdir) as database,
            running_daemon(sb, workdir, database=database, fulfilment={"max_in_flight": CAP}) as d,
        ):
            placed: list[PlannedOrder] = []
            await place_orders(http, sb.market_url, maker, 60, 0, placed)
            during = await _through_the_window(sb, d, placed)
            sb.billing.sandbox.set_knobs(maintenance=False)
            reopened, calls_before = time.monotonic(), len(sb.billing.sandbox.state.records)

            async def drained() -> bool:
                return settled(await d.store.views.progress(), len(during))

            await wait_for(drained, 120, "the backlog to drain")
            drain_s = time.monotonic() - reopened
            calls = len(sb.billing.sandbox.state.records) - calls_before
            print(
                f"\ndrained {len(during)} lines ({calls} billing operations) in {drain_s:.1f} s: "
                f"{calls / drain_s:.1f} operations/s against a capacity of {CAP / (LATENCY_MS / 1000):.0f}/s"
            )
            report = verify_run(
                placed,
                await fetch_records(http, sb.market_url, sb.billing_url),
                await d.store.views.all_lines(),
                "main",
            )
    return Window(during, report)


@pytest.fixture(scope="module")
def window(engine: str, tmp_path_factory: pytest.TempPathFactory) -> Window:
    return asyncio.run(_scenario(tmp_path_factory.mktemp("window"), engine))


def test_nothing_is_provisioned_during_the_window(window: Window) -> None:
    """While the billing core is closed no line is applied, delivered or sent to a person for it."""
    states = {ln.state for ln in window.during}
    reasons = {ln.reason for ln in window.during if ln.state is LineState.EXCEPTION}
    assert states <= {LineState.READY, LineState.SUBMITTED, LineState.EXCEPTION}
    assert reasons <= PLAN_TIME_REASONS


def test_the_window_costs_no_attempt(window: Window) -> None:
    """Refusals for maintenance do not count against any line's retry budget."""
    assert {ln.attempts for ln in window.during} == {0}


def test_the_backlog_drains_by_itself_once_the_window_closes(window: Window) -> None:
    """Nobody touches the daemon: every line settles, exactly once, each bad one with its reason."""
    report = window.report
    assert (report["duplicates"], report["lost"], report["wrong_reason"]) == (0, 0, 0)
