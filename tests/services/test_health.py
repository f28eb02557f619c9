"""/healthz tells the truth: 503 with its reasons whenever the daemon cannot do its work, 200 once it can."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from bridge.app import health
from bridge.core.errors import StoreUnavailable
from bridge.services.deps import Deps
from bridge.services.health import report
from bridge.services.intake import poll_all
from bridge.services.jobs import _guarded
from bridge.store import SqlStore
from bridge.store.engine import create_engine_for
from bridge.web.keys import DEPS_KEY
from tests.rig import Rig, with_role


def _failing(code: str) -> Callable[[Deps], Awaitable[None]]:
    async def job(_: Deps) -> None:
        raise StoreUnavailable(f"{code} on cue", code=code)

    return job


async def _fine(_: Deps) -> None:
    return None


async def _run(deps: Deps, name: str, fn: Callable[[Deps], Awaitable[None]]) -> None:
    await _guarded(name, fn, deps)()


class _Figures:
    """The monitoring role with a number of trades whose write-back keeps failing."""

    def __init__(self, real: Any, failing: int) -> None:
        self._real, self._failing = real, failing

    async def figures(self) -> Any:
        return dataclasses.replace(await self._real.figures(), writeback_failing=self._failing)


async def test_a_healthy_daemon_answers_200_with_no_reason(rig: Rig) -> None:
    """Nothing failing: 200, status ok, the figures, an empty list of reasons."""
    status, body = await report(rig.deps)
    assert (status, body["status"], body["reasons"]) == (200, "ok", [])
    assert body["lines"] is not None and body["exceptions"] is not None


async def test_a_read_only_database_is_unhealthy_at_once(rig: Rig) -> None:
    """A job ending on a read-only database makes /healthz 503 with the code, the job and the count."""
    await _run(rig.deps, "fulfil", _failing("STORE_READ_ONLY"))
    await _run(rig.deps, "fulfil", _failing("STORE_READ_ONLY"))
    status, body = await report(rig.deps)
    [reason] = body["reasons"]
    assert status == 503 and body["status"] == "unavailable"
    assert (reason["kind"], reason["code"], reason["job"], reason["count"]) == (
        "store_writes_failing",
        "STORE_READ_ONLY",
        "fulfil",
        2,
    )


async def test_a_full_disk_is_unhealthy_at_once(rig: Rig) -> None:
    """A job ending on a full database makes /healthz 503 at once."""
    await _run(rig.deps, "writeback", _failing("STORE_FULL"))
    assert (await report(rig.deps))[0] == 503


async def test_a_passing_store_error_counts_only_after_the_threshold(rig: Rig) -> None:
    """A refused connection is a blip at first; still failing past ``[store] failing_s``, it is 503."""
    await _run(rig.deps, "poll", _failing("STORE_UNREACHABLE"))
    assert (await report(rig.deps))[0] == 200
    rig.later(rig.deps.settings.store.failing_s + 1)
    await _run(rig.deps, "poll", _failing("STORE_UNREACHABLE"))
    assert (await report(rig.deps))[0] == 503


async def test_the_job_s_next_good_run_clears_its_store_fault(rig: Rig) -> None:
    """Once the job that met the read-only database runs to its end, /healthz is 200 again."""
    await _run(rig.deps, "fulfil", _failing("STORE_READ_ONLY"))
    await _run(rig.deps, "fulfil", _fine)
    assert (await report(rig.deps))[0] == 200


async def test_any_write_the_store_carries_out_afterwards_clears_the_fault(rig: Rig) -> None:
    """The poll (every few minutes) met a read-only database; a write by anyone since: 200 at once."""
    await _run(rig.deps, "poll", _failing("STORE_READ_ONLY"))
    await rig.deps.store.lines.sweep_leases(rig.deps.clock())
    assert (await report(rig.deps))[0] == 200


async def test_another_job_s_good_run_does_not_clear_the_fault(rig: Rig) -> None:
    """A job that only reads (the clock) succeeds on a read-only database: it says nothing of writes."""
    await _run(rig.deps, "fulfil", _failing("STORE_READ_ONLY"))
    await _run(rig.deps, "clock", _fine)
    assert (await report(rig.deps))[0] == 503


async def test_an_unreadable_store_is_a_503_with_json_never_a_500(rig: Rig) -> None:
    """The health check's own reads failing (nothing listens where the store points): 503, the same
    JSON shape, the store's code as the reason."""
    refused = SqlStore(create_engine_for("postgresql+asyncpg://nobody:x@127.0.0.1:9/none"))
    app = web.Application()
    app[DEPS_KEY] = dataclasses.replace(rig.deps, store=refused)
    try:
        response = await health(make_mocked_request("GET", "/healthz", app=app))
    finally:
        await refused.close()
    body = json.loads(response.text or "")
    assert response.status == 503
    assert [(r["kind"], r["code"]) for r in body["reasons"]] == [("store_unreadable", "STORE_UNREACHABLE")]
    assert set(body) == set((await report(rig.deps))[1])


async def test_stale_polling_is_unhealthy(rig: Rig) -> None:
    """A shop whose watermark is older than ``[alerts] watermark_age_s`` makes /healthz 503 naming it."""
    await poll_all(rig.deps)
    rig.later(rig.deps.settings.alerts.watermark_age_s + 60)
    status, body = await report(rig.deps)
    assert status == 503
    assert [(r["kind"], r["shop"]) for r in body["reasons"]] == [("polling_stale", s) for s in rig.deps.shops]


async def test_write_back_failing_longer_than_the_threshold_is_unhealthy(rig: Rig) -> None:
    """A trade whose write-back keeps failing: 200 at first, 503 once past ``writeback_failing_s``."""
    figures = _Figures(rig.deps.store.monitoring, failing=1)
    deps = dataclasses.replace(rig.deps, store=with_role(rig.deps.store, "monitoring", figures))
    assert (await report(deps))[0] == 200
    rig.later(rig.deps.settings.alerts.writeback_failing_s + 1)
    status, body = await report(deps)
    assert status == 503 and body["reasons"][0]["kind"] == "writeback_failing"


async def test_a_breaker_open_longer_than_the_threshold_is_unhealthy(rig: Rig) -> None:
    """Billing paused past ``[alerts] billing_unavailable_s``: 503 with the pause's reason."""
    pause = rig.deps.settings.alerts.billing_unavailable_s + 600
    rig.deps.runtime.breaker.open(rig.deps.clock() + timedelta(seconds=pause), "maintenance")
    assert (await report(rig.deps))[0] == 200
    rig.later(rig.deps.settings.alerts.billing_unavailable_s + 1)
    status, body = await report(rig.deps)
    assert status == 503
    assert [(r["kind"], r["reason"]) for r in body["reasons"]] == [("billing_paused", "maintenance")]


def _needing_free_mb(deps: Deps, mb: float) -> Deps:
    store = deps.settings.store.model_copy(update={"min_free_mb": mb})
    return dataclasses.replace(deps, settings=deps.settings.model_copy(update={"store": store}))


async def test_too_little_free_space_on_the_sqlite_disk_is_unhealthy_before_any_write_fails(
    rig: Rig, database: str
) -> None:
    """SQLite writes into the pages it holds after its disk fills, so a full disk can go unseen by
    writes for minutes: free space under ``[store] min_free_mb`` is a 503 naming the file. A
    PostgreSQL server's disk is not the bridge's to see: no figure, no reason."""
    assert (await report(_needing_free_mb(rig.deps, 0)))[0] == 200
    status, body = await report(_needing_free_mb(rig.deps, 1e12))  # more than any disk holds
    if not database.startswith("sqlite"):
        assert (status, body["reasons"], body["store_disk"]) == (200, [], None)
        return
    [reason] = body["reasons"]
    path = database.split("///", 1)[1]
    assert status == 503 and (reason["kind"], reason["path"]) == ("store_disk_low", path)
    assert reason["free_bytes"] == body["store_disk"]["free_bytes"] > 0
    assert reason["min_free_bytes"] == 1e12 * 1024 * 1024
