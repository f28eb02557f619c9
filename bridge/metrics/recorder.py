"""The services' recorder (``bridge.ports.MetricsPort``) over prometheus-client, on one app's registry."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from bridge.core.deadlines import STOREFRONTS

__all__ = ["PrometheusRecorder"]

_DELIVERY_BUCKETS = (0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600)
_CALL_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


class PrometheusRecorder:
    """Histograms and counters recorded where the work happens, by this instance."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._delivery = Histogram(
            "bridge_delivery_seconds",
            "Payment to marked delivered in the marketplace, per trade written back by this instance.",
            buckets=_DELIVERY_BUCKETS,
            registry=registry,
        )
        self._billing = Histogram(
            "bridge_billing_call_seconds",
            "Billing core calls by port operation (apply, find ...) and outcome.",
            ["operation", "outcome"],
            buckets=_CALL_BUCKETS,
            registry=registry,
        )
        self._market = Counter(
            "bridge_marketplace_calls",
            "Marketplace calls by port method (get_trade, mark_delivered ...) and outcome.",
            ["method", "outcome"],
            registry=registry,
        )
        self._consumed = Counter(
            "bridge_push_messages_consumed",
            "Messages handed out to this instance by the marketplace's message service.",
            registry=registry,
        )
        self._confirmed = Counter(
            "bridge_push_messages_confirmed",
            "Messages this instance confirmed (their trades stored, or nothing to do).",
            registry=registry,
        )
        self._job_failures = Counter(
            "bridge_job_failures",
            "Scheduled job runs that ended on a failure, by job name and kind (a store error's code,"
            " or error: a bug); the label is `name`, Prometheus keeps `job` for the scrape job.",
            ["name", "kind"],
            registry=registry,
        )
        self._store_errors = Counter(
            "bridge_store_errors",
            "Store errors the jobs ended on, by code (bridge.store.errors: STORE_READ_ONLY ...).",
            ["code"],
            registry=registry,
        )
        self._archived = Counter(
            "bridge_rows_archived",
            "Rows this instance moved from a hot table to its archive, by table (events, audit).",
            ["table"],
            registry=registry,
        )
        self._missed = Counter(
            "bridge_deadline_missed",
            "Lines this instance found past their delivery deadline undelivered, by storefront (each line"
            " counted once, by the instance that recorded it).",
            ["storefront"],
            registry=registry,
        )
        for storefront in STOREFRONTS:  # present from the start, so the first miss counts in increase()
            self._missed.labels(storefront=storefront)
        self._callbacks = Counter(
            "bridge_api_callback_attempts",
            "Tries of a channel's callback by this instance, by outcome (acknowledged, refused, no_answer).",
            ["outcome"],
            registry=registry,
        )
        for outcome in ("acknowledged", "refused", "no_answer"):  # present from the start
            self._callbacks.labels(outcome=outcome)
        self._last_batch = Gauge(
            "bridge_push_last_batch_messages",
            "Messages in this instance's last consume (a full batch means more are queued).",
            registry=registry,
        )

    def billing_call(self, operation: str, outcome: str, seconds: float) -> None:
        self._billing.labels(operation=operation, outcome=outcome).observe(seconds)

    def marketplace_call(self, method: str, outcome: str) -> None:
        self._market.labels(method=method, outcome=outcome).inc()

    def delivered(self, seconds: float) -> None:
        self._delivery.observe(seconds)

    def messages_consumed(self, count: int) -> None:
        self._consumed.inc(count)
        self._last_batch.set(count)

    def messages_confirmed(self, count: int) -> None:
        self._confirmed.inc(count)

    def job_failed(self, job: str, kind: str) -> None:
        self._job_failures.labels(name=job, kind=kind).inc()
        if kind.startswith("STORE_"):
            self._store_errors.labels(code=kind).inc()

    def rows_archived(self, kind: str, count: int) -> None:
        self._archived.labels(table=kind).inc(count)

    def deadline_missed(self, storefront: str) -> None:
        self._missed.labels(storefront=storefront).inc()

    def callback_attempt(self, outcome: str) -> None:
        self._callbacks.labels(outcome=outcome).inc()
