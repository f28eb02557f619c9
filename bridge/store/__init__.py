"""The bridge's store: SQLAlchemy Core on SQLite by default, PostgreSQL by DSN; the mapping files on disk.

``open_store(dsn)`` returns a ``SqlStore``, which implements ``bridge.ports.StorePort``;
``MappingDir`` implements ``bridge.ports.MappingFilesPort``.
"""

from bridge.store.backup import backup_database, restore_database
from bridge.store.engine import open_store
from bridge.store.mapping_files import MappingDir
from bridge.store.migrate import head_revision
from bridge.store.sql_store import SqlStore

__all__ = ["MappingDir", "SqlStore", "backup_database", "head_revision", "open_store", "restore_database"]
