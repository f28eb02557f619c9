"""The free space on the disk the SQLite file sits on: health's early sign of a full database.

SQLite keeps writing into pages it already holds after the disk fills, so a full
disk shows in writes only once a transaction needs a new page; a nearly full
disk is seen here first. A PostgreSQL server's disk is not the bridge's to see
(its 53100 errors are), nor is an in-memory database's: both have no answer.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from bridge.ports.store import DiskSpace

__all__ = ["database_file", "disk_space"]


def database_file(engine: AsyncEngine) -> Path | None:
    """The SQLite database file ``engine`` opens; None for PostgreSQL and for memory."""
    url = make_url(str(engine.url))
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(str(url.database))


def disk_space(engine: AsyncEngine) -> DiskSpace | None:
    """The database file's directory and the bytes an unprivileged writer may still use there."""
    path = database_file(engine)
    if path is None:
        return None
    directory = path.resolve().parent
    try:
        stat = os.statvfs(directory)
    except OSError:  # the directory is gone: the store's own errors say so, on the next write
        return None
    return DiskSpace(path=str(path), free_bytes=stat.f_bavail * stat.f_frsize)
