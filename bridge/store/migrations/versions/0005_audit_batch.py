"""Bulk actions on the queue: the audit log's batch id and the batches offered for confirmation.

Revision ID: 0005_audit_batch
Revises: 0004_poller_lease
Create Date: 2026-12-02

``audit_log.batch`` ties the entries of one bulk action together (a header row
without a line, then one row per line); ``queue_batches`` holds each bulk action
offered on the confirmation page: its token (the batch id), the lines counted
then, the filter, and ``started_at``, set by the one confirmation that acts.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_audit_batch"
down_revision: str | None = "0004_poller_lease"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a database made by today's ``create_all`` and stamped at 0001 already has them
    inspector = sa.inspect(op.get_bind())
    if "batch" not in {c["name"] for c in inspector.get_columns("audit_log")}:
        with op.batch_alter_table("audit_log") as batch:
            batch.add_column(sa.Column("batch", sa.String(length=32), nullable=True))
            batch.create_index("ix_audit_batch", ["batch"])
    if "queue_batches" not in inspector.get_table_names():
        op.create_table(
            "queue_batches",
            sa.Column("id", sa.String(length=32), primary_key=True),
            sa.Column("action", sa.String(length=16), nullable=False),
            sa.Column("actor", sa.String(length=80), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
            sa.Column("filter", sa.Text(), nullable=False),
            sa.Column("line_ids", sa.Text(), nullable=False),
        )


def downgrade() -> None:
    op.drop_table("queue_batches")
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_index("ix_audit_batch")
        batch.drop_column("batch")
