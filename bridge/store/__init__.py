"""The bridge's store: SQLAlchemy Core on SQLite by default, PostgreSQL by DSN; the mapping files on disk."""

from bridge.store.engine import open_store
from bridge.store.mapping_files import MappingDir
from bridge.store.store import Store

__all__ = ["MappingDir", "Store", "open_store"]
