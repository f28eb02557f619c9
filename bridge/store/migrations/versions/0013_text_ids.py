"""Order ids as text: every tid and oid column holds the storefront's id as it writes it.

Revision ID: 0013_text_ids
Revises: 0012_restore_mark
Create Date: 2026-12-07

Taobao's ids are numbers, Pinduoduo's ``order_sn`` is not (``231207-123456789012345``):
``tid`` and ``oid`` become ``VARCHAR(40)`` in every table that has them (the trades,
lines, events, memos, audit log, reconciliation rows and both archives). An
existing id becomes its decimal text, exactly what ``str()`` of the number gave,
so every stored request_id (``shop:tid:oid:part``) still names its line byte for
byte. Rows, indexes and constraints are kept: PostgreSQL alters each column in
place (``USING tid::text``, its indexes rebuilt); SQLite copies each table (batch
mode, the ids cast to text) with its foreign keys checked once at the end
(``bridge.store.migrate`` turns their enforcement off around the upgrade, as
SQLite's documentation prescribes for a table copy). Upgrade with the daemon
stopped, as for every migration; large tables take a while.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0013_text_ids"
down_revision: str | None = "0012_restore_mark"
branch_labels = None
depends_on = None

COLUMNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("trades", ("tid",)),
    ("lines", ("tid", "oid")),
    ("events", ("tid", "oid")),
    ("memos", ("tid",)),
    ("audit_log", ("tid", "oid")),
    ("reconcile_rows", ("tid", "oid")),
    ("events_archive", ("tid", "oid")),
    ("audit_archive", ("tid", "oid")),
)
"""Each table with order ids, and its id columns."""

_TEXT = sa.String(length=40)


def _alter(to: sa.types.TypeEngine[Any], using: str) -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table, columns in COLUMNS:
        if postgresql:
            for column in columns:
                op.alter_column(table, column, type_=to, postgresql_using=f"{column}::{using}")
        else:
            with op.batch_alter_table(table, recreate="always") as batch:
                for column in columns:
                    batch.alter_column(column, type_=to)
    if not postgresql:
        broken = op.get_bind().exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"foreign keys broken by the table copies: {broken[:5]}")


def upgrade() -> None:
    _alter(_TEXT, "text")


def downgrade() -> None:
    _alter(sa.BigInteger(), "bigint")
