"""The marketplace's free text in text columns: a long nickname or SKU code never fails an insert.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01

PostgreSQL enforces VARCHAR lengths; SQLite does not (its columns already keep
any length), so only PostgreSQL's columns change.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels = None
depends_on = None

_WIDENED = (("trades", "buyer_nick", 200), ("lines", "outer_sku_id", 120), ("lines", "sku_id", 60))


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column, length in _WIDENED:
        op.alter_column(table, column, type_=sa.Text(), existing_type=sa.String(length))


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column, length in _WIDENED:
        op.alter_column(
            table,
            column,
            type_=sa.String(length),
            existing_type=sa.Text(),
            postgresql_using=f"left({column}, {length})",
        )
