"""The bridge's adapter for the operator's billing core (BOSS), interface version 1.

``BillingClient`` implements ``bridge.ports.BillingPort`` over HTTP; the
``sandbox`` subpackage is a real server speaking the same interface. They
share only ``signing`` (the published request signature, pinned by vectors);
each has its own JSON shapes (``wire`` for the client, ``sandbox.wire`` for the
server), and neither imports the other.
"""

from __future__ import annotations

from adapters.billing_core.client import ERROR_TABLE, BillingClient

__all__ = ["ERROR_TABLE", "BillingClient"]
