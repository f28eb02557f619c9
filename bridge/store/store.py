"""The store the services use: every piece composed into one object over one engine."""

from __future__ import annotations

from bridge.store.views import ViewStore


class Store(ViewStore):
    """Lines, operations, trades, memos, the polling cursor and the read views."""
