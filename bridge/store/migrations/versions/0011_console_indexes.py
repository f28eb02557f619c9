"""The indexes the console's figures, queue and search read by.

Revision ID: 0011_console_indexes
Revises: 0010_line_approval
Create Date: 2026-12-07

With a million lines stored, the dashboard's day (trades received and delivered,
lines sent to a person: ``created_at``, ``delivered_at``, ``events.at``), the
last hour's payment → delivered (``lines.delivered_at``), each shop's newest
payment (``lines (shop, paid_at)``) and the queue's search by tid or oid (the
unique ``(shop, tid, oid)`` cannot serve a tid without its shop on PostgreSQL)
each scanned a whole table. Building them on a large PostgreSQL table locks its
writes while it runs (a few seconds a million rows): upgrade with the daemon
stopped, as for every migration.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_console_indexes"
down_revision: str | None = "0010_line_approval"
branch_labels = None
depends_on = None

INDEXES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("trades", "ix_trades_tid", ("tid",)),
    ("trades", "ix_trades_created", ("created_at",)),
    ("trades", "ix_trades_delivered", ("delivered_at",)),
    ("lines", "ix_lines_tid", ("tid",)),
    ("lines", "ix_lines_oid", ("oid",)),
    ("lines", "ix_lines_paid", ("shop", "paid_at")),
    ("lines", "ix_lines_delivered", ("delivered_at",)),
    ("events", "ix_events_at", ("at",)),
)


def upgrade() -> None:
    # a database made by today's ``create_all`` and stamped at 0001 already has them
    inspector = sa.inspect(op.get_bind())
    for table, name, columns in INDEXES:
        if name not in {ix["name"] for ix in inspector.get_indexes(table)}:
            op.create_index(name, table, list(columns))


def downgrade() -> None:
    for table, name, _ in INDEXES:
        op.drop_index(name, table_name=table)
