"""Gauges read from the shared store (and this instance's breaker and settings) when Prometheus scrapes.

prometheus-client collects synchronously, the store is asynchronous: the
``/metrics`` handler awaits ``refresh`` first, then the registry's collection
reads the figures it left. Every instance exports them; Prometheus's own
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

from bridge.core.errors import StoreUnavailable
from bridge.core.records import StoreFigures
from bridge.core.states import LineState
from bridge.services.deps import Deps

__all__ = ["StoreGauges"]

log = structlog.get_logger("bridge.metrics")


@dataclass(frozen=True)
class _Reading:
    figures: StoreFigures
    now: datetime
    breaker_open: bool
    session_expiry: dict[str, datetime]


class StoreGauges(Collector):
    def __init__(self) -> None:
        self._reading: _Reading | None = None

    async def refresh(self, deps: Deps) -> None:
        """Read the store's figures now (the database's clock), for the collection that follows.

        A store that cannot be read leaves these gauges out (never stale values): the scrape still
        serves this instance's calls, and the rules' gauges go absent.
        """
        self._reading = None
        try:
            figures = await deps.store.monitoring.figures()
        except StoreUnavailable as exc:  # the database is down or slow: log it, serve the rest
            log.warning("metrics_store_unreadable", error=str(exc), error_kind=exc.code)
            return
        except Exception:  # a bug: logged with its traceback; the scrape serves the rest
            log.exception("metrics_store_crashed")
            return
        now = deps.clock()
        expiry = {n: s.session_expires_at for n, s in deps.settings.shops.items() if s.session_expires_at}
        self._reading = _Reading(figures, now, deps.runtime.breaker.is_open(now), expiry)

    def collect(self) -> Iterator[Metric]:
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
