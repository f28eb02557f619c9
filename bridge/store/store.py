"""The store the services use: every piece composed into one object over one engine."""

from __future__ import annotations

from bridge.store.account_store import AccountStore
from bridge.store.console_views import ConsoleViews
from bridge.store.views import ViewStore


class Store(ConsoleViews, AccountStore, ViewStore):
    """Lines, operations, trades, memos, the polling cursor, the read views and the console's tables."""
