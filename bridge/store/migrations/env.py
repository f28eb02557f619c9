"""Alembic's environment: always run on the connection ``bridge.store.migrate`` hands over.

The connection comes from the store's async engine (``AsyncConnection.run_sync``),
so the migrations use the same dialect options (SQLite's write lock at BEGIN,
PostgreSQL's timeouts) as the daemon, inside the caller's one transaction.
"""

from __future__ import annotations

from alembic import context

from bridge.store import api_schema, archive_schema, console_schema  # noqa: F401  (register their tables)
from bridge.store.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
