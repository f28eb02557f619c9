"""/metrics through the daemon's app after a run through both sandboxes: the series, sane values, no ids."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families
from structlog.testing import capture_logs

from bridge.app import METRICS_KEY, metrics
from bridge.core.errors import StoreUnavailable
from bridge.metrics import BridgeMetrics
from bridge.services.deps import Deps
from bridge.services.jobs import _guarded
from bridge.web.keys import DEPS_KEY
from tests.rig import Rig, line, open_rig

SHOP = "main"


async def _scrape(bundle: BridgeMetrics, rig: Rig, deps: Deps | None = None) -> str:
    app = web.Application()
    app[DEPS_KEY], app[METRICS_KEY] = deps or rig.deps, bundle
    app.router.add_get("/metrics", metrics)
    async with TestClient(TestServer(app)) as client:
        resp = await client.get("/metrics")
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("text/plain")
        return await resp.text()


def _values(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def _run(rig: Rig) -> tuple[list[int], list[str]]:
    """Two good orders delivered, one with an unknown card left as an exception; tids and cards used."""
    cards = (await rig.cards())[:2]
    tids = [await rig.order(line(), message=f"卡号{card}") for card in cards]
    tids.append(await rig.order(line(), message="卡号8888888888888888"))
    await rig.cycle()
    await rig.cycle()
    return tids, cards


async def test_metrics_serve_every_series_after_a_run(tmp_path: Path, database: str) -> None:
    """Lines, exceptions, ages, calls, delivery latency, the watermark and the breaker are all there."""
    bundle = BridgeMetrics()
    async with open_rig(tmp_path, database=database, metrics=bundle.recorder) as rig:
        await _run(rig)
        values = _values(await _scrape(bundle, rig))
    assert values[("bridge_lines", (("state", "DELIVERED"),))] == 2
    assert values[("bridge_lines", (("state", "EXCEPTION"),))] == 1
    assert values[("bridge_lines", (("state", "READY"),))] == 0
    assert sum(v for (name, _), v in values.items() if name == "bridge_exceptions") == 1
    assert values[("bridge_oldest_due_seconds", ())] == 0  # nothing left for the bridge
    assert values[("bridge_oldest_exception_seconds", ())] >= 0
    assert values[("bridge_writeback_failing_trades", ())] == 0
    assert values[("bridge_billing_breaker_open", ())] == 0
    assert values[("bridge_delivery_seconds_count", ())] == 2
    assert values[("bridge_billing_call_seconds_count", (("operation", "apply"), ("outcome", "ok")))] == 2
    calls = (("method", "mark_delivered"), ("outcome", "ok"))
    assert values[("bridge_marketplace_calls_total", calls)] == 2
    assert 0 <= values[("bridge_watermark_age_seconds", (("shop", SHOP),))] < 3600
    assert values[("bridge_last_poll_success_timestamp_seconds", (("shop", SHOP),))] > 1.7e9
    assert values[("bridge_last_paid_timestamp_seconds", (("shop", SHOP),))] > 1.7e9


async def test_no_tid_card_or_request_id_anywhere_in_the_exposition(tmp_path: Path, database: str) -> None:
    """The run's tids, card numbers (even their last digits' runs) and request_ids appear nowhere."""
    bundle = BridgeMetrics()
    async with open_rig(tmp_path, database=database, metrics=bundle.recorder) as rig:
        tids, cards = await _run(rig)
        request_ids = [op["request_id"] for op in await rig.ledger()]
        text = await _scrape(bundle, rig)
    labels = " ".join(re.findall(r"\{[^}]*\}", text))
    for secret in [*map(str, tids), *cards, "8888888888888888", *request_ids]:
        assert secret not in text
    assert not re.search(r"\d{6,}", labels)  # no long number in any label value


async def test_each_app_has_its_own_registry() -> None:
    """Two apps in one process never share a series (tests, several daemons)."""
    a, b = BridgeMetrics(), BridgeMetrics()
    a.recorder.marketplace_call("get_trade", "ok")
    assert a.registry is not b.registry
    assert (
        b.registry.get_sample_value(
            "bridge_marketplace_calls_total", {"method": "get_trade", "outcome": "ok"}
        )
        is None
    )


async def test_the_session_expiry_is_exported_when_configured(rig: Rig) -> None:
    """shops.NAME.session_expires_at becomes the expiry timestamp the expiring-session alert reads."""
    at = datetime(2027, 6, 30, tzinfo=UTC)
    settings = rig.deps.settings
    shop = settings.shops[SHOP].model_copy(update={"session_expires_at": at})
    deps = replace(rig.deps, settings=settings.model_copy(update={"shops": {SHOP: shop}}))
    bundle = BridgeMetrics()
    values = _values(await _scrape(bundle, rig, deps))
    assert (
        values[("bridge_marketplace_session_expiry_timestamp_seconds", (("shop", SHOP),))] == at.timestamp()
    )
    assert not any(
        name == "bridge_marketplace_session_expiry_timestamp_seconds"
        for name, _ in _values(await _scrape(bundle, rig))
    )


async def test_a_store_that_cannot_be_read_leaves_its_gauges_out(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database down before any figures were read: /metrics still answers with this instance's calls,
    without store gauges."""

    async def down() -> None:
        raise StoreUnavailable("cannot connect to the database", code="STORE_UNREACHABLE")

    bundle = BridgeMetrics()
    bundle.recorder.marketplace_call("get_trade", "ok")
    monkeypatch.setattr(rig.deps.store.monitoring, "figures", down)
    with capture_logs() as logs:
        names = {name for name, _ in _values(await _scrape(bundle, rig))}
    assert "bridge_marketplace_calls_total" in names and "bridge_lines" not in names
    assert [e["event"] for e in logs] == ["figures_store_unreadable"]


async def test_job_failures_and_store_errors_are_counted_by_kind(tmp_path: Path, database: str) -> None:
    """A job ending on a read-only database and one ending on a bug: counted by job name and kind, the
    store's error by its code."""
    bundle = BridgeMetrics()
    async with open_rig(tmp_path, database=database, metrics=bundle.recorder) as rig:

        async def read_only(_: Deps) -> None:
            raise StoreUnavailable("read-only", code="STORE_READ_ONLY")

        async def bug(_: Deps) -> None:
            raise ValueError("a bug")

        await _guarded("fulfil", read_only, rig.deps)()
        await _guarded("writeback", bug, rig.deps)()
        values = _values(await _scrape(bundle, rig))
    assert values[("bridge_job_failures_total", (("kind", "STORE_READ_ONLY"), ("name", "fulfil")))] == 1
    assert values[("bridge_job_failures_total", (("kind", "error"), ("name", "writeback")))] == 1
    assert values[("bridge_store_errors_total", (("code", "STORE_READ_ONLY"),))] == 1
