"""The order API in the pipeline: what an API order came to, and the callbacks' outbox.

Revision ID: 0016_api_callbacks
Revises: 0015_api_orders
Create Date: 2026-12-08

- ``api_orders`` gains what the pipeline writes back to a channel's order (the API
  storefront's ``deliver`` and ``annotate``): ``codes`` (JSON: each line's card codes,
  by oid), ``severity`` (the mark beside ``note``), and the last settled state a
  callback was queued for (``settled_state``) with how many were queued
  (``settled_seq``: the next callback's idempotency key counts from it);
- ``api_callbacks``: the outbox. One row per notification, inserted in the same
  transaction as the order's change it announces, kept after it is acknowledged.

Existing rows keep their values (the new columns start empty, ``settled_seq`` 0).
Downgrade drops the table and the columns.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_api_callbacks"
down_revision: str | None = "0015_api_orders"
branch_labels = None
depends_on = None

_NEW_COLUMNS = ("codes", "severity", "settled_state", "settled_seq")


def upgrade() -> None:
    # a database made by today's ``create_all`` and stamped earlier has them already
    inspector = sa.inspect(op.get_bind())
    have = {c["name"] for c in inspector.get_columns("api_orders")}
    if "codes" not in have:
        op.add_column("api_orders", sa.Column("codes", sa.Text(), nullable=True))
    if "severity" not in have:
        op.add_column("api_orders", sa.Column("severity", sa.String(length=8), nullable=True))
    if "settled_state" not in have:
        op.add_column("api_orders", sa.Column("settled_state", sa.String(length=24), nullable=True))
    if "settled_seq" not in have:
        op.add_column(
            "api_orders", sa.Column("settled_seq", sa.Integer(), nullable=False, server_default="0")
        )
    if not inspector.has_table("api_callbacks"):
        op.create_table(
            "api_callbacks",
            sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
            sa.Column("client", sa.String(length=16), nullable=False),
            sa.Column("order_id", sa.String(length=22), nullable=False),
            sa.Column("event_key", sa.String(length=64), nullable=False),
            sa.Column("state", sa.String(length=24), nullable=False),
            sa.Column("url", sa.Text(), nullable=False),
            sa.Column("payload", sa.Text(), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("next_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
            sa.Column("last_status", sa.Integer(), nullable=True),
            sa.Column("last_error", sa.Text(), nullable=True),
            sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
            sa.Column("lease_owner", sa.String(length=64), nullable=True),
            sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("event_key", name="uq_api_callbacks_event_key"),
        )
        op.create_index("ix_api_callbacks_due", "api_callbacks", ["acknowledged_at", "next_at"])
        op.create_index("ix_api_callbacks_order", "api_callbacks", ["client", "order_id"])


def downgrade() -> None:
    op.drop_index("ix_api_callbacks_order", table_name="api_callbacks")
    op.drop_index("ix_api_callbacks_due", table_name="api_callbacks")
    op.drop_table("api_callbacks")
    with op.batch_alter_table("api_orders") as batch:
        for name in reversed(_NEW_COLUMNS):
            batch.drop_column(name)
