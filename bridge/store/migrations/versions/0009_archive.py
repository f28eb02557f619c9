"""Archive tables: events and audit rows past their retention move out of the hot tables.

Revision ID: 0009_archive
Revises: 0008_login_throttle
Create Date: 2026-12-07

``events_archive`` and ``audit_archive`` take the columns of ``events`` and
``audit_log``, each row keeping its hot id as the primary key
(``bridge.store.archive_schema``). Nothing is moved here: the retention job
moves rows in batches once the daemon runs.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_archive"
down_revision: str | None = "0008_login_throttle"
branch_labels = None
depends_on = None


def _events_columns() -> list[sa.schema.SchemaItem]:
    return [
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("shop", sa.String(length=16), nullable=False),
        sa.Column("tid", sa.BigInteger(), nullable=False),
        sa.Column("oid", sa.BigInteger(), nullable=True),
        sa.Column("line_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("from_state", sa.String(length=20), nullable=True),
        sa.Column("to_state", sa.String(length=20), nullable=True),
        sa.Column("reason", sa.String(length=40), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    ]


def _audit_columns() -> list[sa.schema.SchemaItem]:
    return [
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("outcome", sa.String(length=12), nullable=False),
        sa.Column("shop", sa.String(length=16), nullable=True),
        sa.Column("tid", sa.BigInteger(), nullable=True),
        sa.Column("oid", sa.BigInteger(), nullable=True),
        sa.Column("line_id", sa.Integer(), nullable=True),
        sa.Column("before", sa.String(length=40), nullable=True),
        sa.Column("after", sa.String(length=40), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("batch", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    ]


def upgrade() -> None:
    # a database made by today's ``create_all`` and stamped at 0001 already has them
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "events_archive" not in existing:
        op.create_table("events_archive", *_events_columns())
        op.create_index("ix_events_archive_trade", "events_archive", ["shop", "tid"])
    if "audit_archive" not in existing:
        op.create_table("audit_archive", *_audit_columns())
        op.create_index("ix_audit_archive_tid", "audit_archive", ["tid"])
        op.create_index("ix_audit_archive_batch", "audit_archive", ["batch"])


def downgrade() -> None:
    op.drop_table("audit_archive")
    op.drop_table("events_archive")
