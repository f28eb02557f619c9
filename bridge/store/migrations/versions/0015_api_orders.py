"""The order API's tables: the channel clients' orders and the signatures seen (replays refused).

Revision ID: 0015_api_orders
Revises: 0014_own_states
Create Date: 2026-12-08

- ``api_orders``: one row per client's order (unique client + order_id), the body as
  received (JSON text) with the SHA-256 of its bytes, paid/received/modified times, and
  three columns the pipeline fills later, empty until then: ``delivered_at``, ``note``
  (what the client is told of a line needing attention) and ``refund_requested_at``;
- ``api_signatures``: each accepted signature with its client and when it was seen; the
  primary key refuses a replay on every instance alike, old rows are deleted.

New tables only: no existing row is touched. Downgrade drops them (and the API's orders).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_api_orders"
down_revision: str | None = "0014_own_states"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a database made by today's ``create_all`` and stamped at 0001 has the tables already
    inspector = sa.inspect(op.get_bind())
    if not inspector.has_table("api_orders"):
        op.create_table(
            "api_orders",
            sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
            sa.Column("client", sa.String(length=16), nullable=False),
            sa.Column("order_id", sa.String(length=22), nullable=False),
            sa.Column("body", sa.Text(), nullable=False),
            sa.Column("body_sha256", sa.String(length=64), nullable=False),
            sa.Column("paid_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("modified_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
            sa.Column("note", sa.Text(), nullable=True),
            sa.Column("refund_requested_at", sa.DateTime(timezone=True), nullable=True),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("client", "order_id", name="uq_api_orders_client_order"),
        )
        op.create_index("ix_api_orders_paid", "api_orders", ["client", "paid_at"])
    if not inspector.has_table("api_signatures"):
        op.create_table(
            "api_signatures",
            sa.Column("signature", sa.String(length=64), nullable=False),
            sa.Column("client", sa.String(length=16), nullable=False),
            sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("signature"),
        )
        op.create_index("ix_api_signatures_seen", "api_signatures", ["seen_at"])


def downgrade() -> None:
    op.drop_index("ix_api_signatures_seen", table_name="api_signatures")
    op.drop_table("api_signatures")
    op.drop_index("ix_api_orders_paid", table_name="api_orders")
    op.drop_table("api_orders")
