"""The bridge's store: SQLAlchemy Core on SQLite by default, PostgreSQL by DSN.

``open_store(dsn)`` returns a ``SqlStore``, which implements ``bridge.ports.StorePort``.
"""

from bridge.store.engine import open_store
from bridge.store.sql_store import SqlStore

__all__ = ["SqlStore", "open_store"]
