"""Gauges of the shared store's figures (and this instance's breaker and settings) when Prometheus scrapes.

The store's figures are the snapshot one task reads at most every
``[console] figures_every_s`` (``bridge.services.console_figures``), with its
age and whether the last reading failed: a scrape never reads the store itself.
prometheus-client collects synchronously, the snapshot may need a first reading:
the ``/metrics`` handler awaits ``refresh`` first, then the registry's
collection reads the figures it left. Every instance exports them; Prometheus's own
``instance`` target label tells them apart and the rules aggregate over it
(``max without (instance)``), so no leader has to be chosen and a scrape of any
instance shows the whole store.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import structlog
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from bridge.core.callbacks import CallbackFigures
from bridge.core.deadlines import StorefrontDeadlines
from bridge.core.records import StoreFigures
from bridge.core.states import LineState
from bridge.ports import DiskSpace
from bridge.services.deps import Deps

__all__ = ["StoreGauges"]

log = structlog.get_logger("bridge.metrics")


@dataclass(frozen=True)
class _Reading:
    figures: StoreFigures
    read_at: datetime
    failing: bool
    now: datetime
    breaker_open: bool
    session_expiry: dict[str, datetime]
    deadlines: tuple[StorefrontDeadlines, ...]
    callbacks: tuple[CallbackFigures, ...]
    callback_alert_after_s: float


class StoreGauges(Collector):
    def __init__(self) -> None:
        self._reading: _Reading | None = None
        self._disk: DiskSpace | None = None

    async def refresh(self, deps: Deps) -> None:
        """Take the store figures' snapshot (``bridge.services.console_figures``), for the collection
        that follows: never a reading of the store per scrape.

        Without a snapshot (the store never read) these gauges are left out (never made up): the scrape
        still serves this instance's calls, and the rules' gauges go absent.
        """
        self._reading = None
        self._disk = deps.store.disk_space()  # one statvfs: no reading of the store
        try:
            snapshot = await deps.runtime.figures.latest(deps)
        except Exception:  # a bug: logged with its traceback; the scrape serves the rest
            log.exception("metrics_store_crashed")
            return
        if snapshot is None:
            return
        now = deps.clock()
        expiry = {n: s.access_expires_at for n, s in deps.settings.shops.items() if s.access_expires_at}
        failing = deps.runtime.figures.failure is not None
        breaker = deps.runtime.breaker.is_open(now)
        self._reading = _Reading(
            snapshot.store,
            snapshot.at,
            failing,
            now,
            breaker,
            expiry,
            snapshot.deadlines,
            snapshot.callbacks,
            deps.settings.api.callback_alert_after_s,
        )

    def collect(self) -> Iterator[Metric]:
        if self._disk is not None:
            yield GaugeMetricFamily(
                "bridge_store_disk_free_bytes",
                "Bytes still free on the SQLite database file's disk (absent on PostgreSQL).",
                value=self._disk.free_bytes,
            )
        if self._reading is None:
            return
        f, now = self._reading.figures, self._reading.now
        by_state = GaugeMetricFamily("bridge_lines", "Order lines in the store by state.", labels=["state"])
        for state in LineState:
            by_state.add_metric([state.value], f.lines_by_state.get(state.value, 0))
        yield by_state
        by_reason = GaugeMetricFamily(
            "bridge_exceptions", "Lines waiting for a person, by reason code.", labels=["reason"]
        )
        for reason, n in sorted(f.exceptions_by_reason.items()):
            by_reason.add_metric([reason], n)
        yield by_reason
        yield _age(
            "bridge_oldest_due_seconds", "Age of the oldest line waiting for the bridge.", f.oldest_due, now
        )
        yield _age(
            "bridge_oldest_exception_seconds",
            "Age of the oldest line waiting for a person.",
            f.oldest_exception,
            now,
        )
        yield GaugeMetricFamily(
            "bridge_writeback_failing_trades",
            "Trades credited whose write-back to the marketplace last failed.",
            value=f.writeback_failing,
        )
        yield from _shop_gauges(f, now)
        yield GaugeMetricFamily(
            "bridge_billing_breaker_open",
            "1 while this instance pauses provisioning (billing core closed or unreachable).",
            value=1 if self._reading.breaker_open else 0,
        )
        expiry = GaugeMetricFamily(
            "bridge_marketplace_session_expiry_timestamp_seconds",
            "When the shop's session key runs out (shops.NAME.session_expires_at).",
            labels=["shop"],
        )
        for shop, at in sorted(self._reading.session_expiry.items()):
            expiry.add_metric([shop], at.timestamp())
        yield expiry
        yield from _snapshot_gauges(self._reading)
        yield _deadline_gauge(self._reading)
        yield from _callback_gauges(self._reading)


def _snapshot_gauges(reading: _Reading) -> Iterator[Metric]:
    yield GaugeMetricFamily(
        "bridge_store_figures_age_seconds",
        "Age of the store figures these gauges show (read by one task, at most every figures_every_s).",
        value=max(0.0, (reading.now - reading.read_at).total_seconds()),
    )
    yield GaugeMetricFamily(
        "bridge_store_figures_failing",
        "1 while the last reading of the store figures failed (the gauges show the one before).",
        value=1 if reading.failing else 0,
    )


def _deadline_gauge(reading: _Reading) -> GaugeMetricFamily:
    """Each storefront's most urgent undelivered line's time left, carried from the reading to now
    (negative once missed); a storefront with no line awaiting delivery has no sample."""
    since = reading.now - reading.read_at
    gauge = GaugeMetricFamily(
        "bridge_deadline_seconds_remaining",
        "Seconds until the delivery deadline of the most urgent line awaiting delivery, by storefront"
        " (negative: past it).",
        labels=["storefront"],
    )
    for figures in reading.deadlines:
        if figures.most_urgent_left is not None:
            gauge.add_metric([figures.storefront], (figures.most_urgent_left - since).total_seconds())
    return gauge


def _callback_gauges(reading: _Reading) -> Iterator[Metric]:
    """Each client's callbacks not yet acknowledged (a client with none has no sample: 0 pending), the
    oldest's age carried from the reading to now, and the alert's threshold (``callback_alert_after_s``)."""
    since = (reading.now - reading.read_at).total_seconds()
    pending = GaugeMetricFamily(
        "bridge_api_callbacks_pending",
        "Channel callbacks not yet acknowledged, by client.",
        labels=["client"],
    )
    failing = GaugeMetricFamily(
        "bridge_api_callbacks_failing",
        "Channel callbacks not yet acknowledged that were tried and failed, by client.",
        labels=["client"],
    )
    oldest = GaugeMetricFamily(
        "bridge_api_callbacks_oldest_pending_seconds",
        "Age of the client's oldest callback not yet acknowledged.",
        labels=["client"],
    )
    for figures in reading.callbacks:
        pending.add_metric([figures.client], figures.pending)
        failing.add_metric([figures.client], figures.failing)
        oldest.add_metric([figures.client], figures.oldest_pending_s + max(0.0, since))
    yield from (pending, failing, oldest)
    yield GaugeMetricFamily(
        "bridge_api_callback_alert_after_seconds",
        "A callback pending longer alerts ([api] callback_alert_after_s).",
        value=reading.callback_alert_after_s,
    )


def _age(name: str, doc: str, since: datetime | None, now: datetime) -> GaugeMetricFamily:
    """Seconds since ``since``; 0 when nothing waits."""
    return GaugeMetricFamily(
        name, doc, value=0.0 if since is None else max(0.0, (now - since).total_seconds())
    )


def _shop_gauges(f: StoreFigures, now: datetime) -> Iterator[Metric]:
    age = GaugeMetricFamily(
        "bridge_watermark_age_seconds", "Age of the shop's polling watermark.", labels=["shop"]
    )
    success = GaugeMetricFamily(
        "bridge_last_poll_success_timestamp_seconds", "When the shop's last poll succeeded.", labels=["shop"]
    )
    paid = GaugeMetricFamily(
        "bridge_last_paid_timestamp_seconds",
        "When the newest paid line of the shop was paid.",
        labels=["shop"],
    )
    for shop in f.shops:
        if shop.watermark is not None:
            age.add_metric([shop.shop], max(0.0, (now - shop.watermark).total_seconds()))
        if shop.last_poll_success is not None:
            success.add_metric([shop.shop], shop.last_poll_success.timestamp())
        if shop.last_paid is not None:
            paid.add_metric([shop.shop], shop.last_paid.timestamp())
    yield from (age, success, paid)
