"""The bridge's adapter for the operator's billing core (BOSS), interface version 1.

``BillingClient`` implements ``bridge.ports.BillingPort`` over HTTP; the
``sandbox`` subpackage is a real server speaking the same interface. Both share
``signing`` (the request signature) and ``wire`` (the JSON shapes).
"""

from __future__ import annotations

from adapters.billing_core.client import ERROR_TABLE, BillingClient

__all__ = ["ERROR_TABLE", "BillingClient"]
