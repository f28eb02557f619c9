"""The services on a store that fails for the moment (``StoreUnavailable``): nothing lost, nothing resent.

The failing role wraps the real repository and raises what the real store raises
for a database failure (``bridge.store.errors``) on the calls named, a number of
times; the billing core is the sandbox without deduplication, so any resend of
an applied part credits twice and the ledger shows it.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from adapters.billing_core.sandbox import BillingKnobs
from bridge.core.errors import StoreUnavailable
from bridge.core.states import LineState, OperationState
from bridge.services.deps import Deps
from bridge.services.fulfil import fulfil_due, to_operation
from bridge.services.intake import poll_all, release_pollers
from bridge.services.jobs import _guarded
from bridge.services.leases import kept_leased
from tests.rig import Rig, open_rig, with_role

S, OP = LineState, OperationState


class _Failing:
    """A store role whose calls named in ``fails`` raise ``StoreUnavailable`` their first ``times``."""

    def __init__(self, real: Any, fails: str, times: int = 1) -> None:
        self._real, self._fails, self.left = real, fails, times

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._real, name)
        if name != self._fails:
            return method

        async def failing(*args: Any, **kwargs: Any) -> Any:
            if self.left > 0:
                self.left -= 1
                raise StoreUnavailable("the database connection was lost", code="STORE_CONNECTION_LOST")
            return await method(*args, **kwargs)

        return failing


def _failing(rig: Rig, role: str, call: str, times: int = 1) -> Deps:
    store = with_role(rig.deps.store, role, _Failing(getattr(rig.deps.store, role), call, times))
    return dataclasses.replace(rig.deps, store=store)


@pytest.fixture
async def old_core(tmp_path: Path, database: str) -> AsyncIterator[Rig]:
    """A billing core without deduplication; billing timeout 0.5 s, lease 3 s (renewed every 1 s)."""
    async with open_rig(
        tmp_path,
        database=database,
        billing_knobs=BillingKnobs(dedupe=False),
        billing={"timeout_s": 0.5},
        fulfilment={"settle_s": 2.0, "lease_s": 3.0},
    ) as r:
        yield r


async def test_a_looked_up_part_the_store_cannot_record_is_not_taken_as_refused(old_core: Rig) -> None:
    """A part found applied by its lookup, whose recording fails for the moment: the part stays
    maybe-applied (never back to PENDING), and the next holder records it; credited once."""
    rig, store = old_core, old_core.deps.store
    tid = await rig.planned()
    [ln] = await store.lines.claim_lines("dead-worker", rig.deps.clock(), 3.0, 1)
    op = ln.operations[0]
    assert await store.operations.begin_submit(ln, op, "dead-worker", rig.deps.clock())
    await rig.deps.billing.apply(to_operation(op))  # applied; the answer dies with the worker
    rig.later(4)  # its lease runs out
    with capture_logs() as logs:
        await fulfil_due(_failing(rig, "operations", "record_applied"))
    assert "reconciled_applied" in [e["event"] for e in logs]
    [ln] = await rig.lines(tid)
    assert ln.operations[0].state in (OP.SENT.value, OP.UNKNOWN.value)
    rig.later(4)  # the lease taken for the lookup runs out too
    await fulfil_due(rig.deps)
    await fulfil_due(rig.deps)
    [ln] = await rig.lines(tid)
    assert ln.state is S.APPLIED and len(await rig.ledger(tid)) == 1


async def test_a_lease_renewal_that_fails_for_the_moment_is_tried_next_tick(old_core: Rig) -> None:
    """The first renewal meets a lost connection (a warning, no traceback); the next tick renews."""
    rig = old_core
    await rig.planned()
    [ln] = await rig.deps.store.lines.claim_lines(rig.deps.owner, rig.deps.clock(), 3.0, 1)
    deps = _failing(rig, "lines", "renew_lease")
    with capture_logs() as logs:
        async with kept_leased(deps, ln):
            await asyncio.sleep(2.3)  # two ticks of lease_s / 3
    events = [(e["event"], e["log_level"]) for e in logs if e["event"].startswith("lease_renew")]
    assert events == [("lease_renewal_error", "warning"), ("lease_renewed", "debug")]


async def test_a_graceful_stop_on_a_failing_store_leaves_the_poller_lease_to_run_out(old_core: Rig) -> None:
    """Releasing the shop's poller lease meets a lost connection: logged, the stop goes on."""
    rig = old_core
    await poll_all(rig.deps)
    with capture_logs() as logs:
        await release_pollers(_failing(rig, "pollers", "release_poller"))
    assert [e["event"] for e in logs] == ["poller_release_failed"]
    assert (
        await rig.deps.store.pollers.take_poller(
            "main", "other", now=rig.deps.clock(), until=rig.deps.clock()
        )
    ).owner == rig.deps.owner


async def test_a_job_on_a_failing_store_warns_and_a_bug_is_logged_with_its_traceback(old_core: Rig) -> None:
    """A job the database cannot serve now is a warning for the next run; any other error a bug."""
    rig = old_core

    async def unavailable(_: Deps) -> None:
        raise StoreUnavailable("the database connection was lost", code="STORE_CONNECTION_LOST")

    async def bug(_: Deps) -> None:
        raise RuntimeError("a bug")

    with capture_logs() as logs:
        await _guarded("fulfil", unavailable, rig.deps)()
        await _guarded("fulfil", bug, rig.deps)()
    seen = [(e["event"], e["log_level"], bool(e.get("exc_info"))) for e in logs]
    assert seen == [("job_store_unavailable", "warning", False), ("job_failed", "error", True)]
