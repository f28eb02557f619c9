"""One app's metrics: its own registry (never the global one), the recorder and the store's gauges."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from bridge.metrics.recorder import PrometheusRecorder
from bridge.metrics.store_gauges import StoreGauges
from bridge.services.deps import Deps

__all__ = ["CONTENT_TYPE", "BridgeMetrics"]

CONTENT_TYPE = CONTENT_TYPE_LATEST


@dataclass
class BridgeMetrics:
    """A registry per app, so tests and several apps in one process never share a series."""

    registry: CollectorRegistry = field(default_factory=CollectorRegistry)
    recorder: PrometheusRecorder = field(init=False)
    store: StoreGauges = field(init=False)

    def __post_init__(self) -> None:
        self.recorder = PrometheusRecorder(self.registry)
        self.store = StoreGauges()
        self.registry.register(self.store)

    async def exposition(self, deps: Deps) -> bytes:
        """The text format Prometheus scrapes: the store figures' snapshot, then every series."""
        await self.store.refresh(deps)
        return generate_latest(self.registry)
