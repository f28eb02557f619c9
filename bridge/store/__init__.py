"""The bridge's store: SQLAlchemy Core on SQLite by default, PostgreSQL by DSN."""

from bridge.store.engine import open_store
from bridge.store.store import Store

__all__ = ["Store", "open_store"]
