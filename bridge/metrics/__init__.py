"""Prometheus metrics for ``/metrics``: the services' recorder and the gauges read from the store.

* ``recorder`` — ``PrometheusRecorder`` (``bridge.ports.MetricsPort``): billing and
  marketplace calls, payment → delivered, messages consumed and confirmed;
* ``store_gauges`` — lines by state, exceptions, the oldest waiting, watermarks,
  the breaker: from the store figures' snapshot (``bridge.services.console_figures``);
* ``exposition`` — ``BridgeMetrics``: one registry per app and its text.
"""

from bridge.metrics.exposition import CONTENT_TYPE, BridgeMetrics

__all__ = ["CONTENT_TYPE", "BridgeMetrics"]
