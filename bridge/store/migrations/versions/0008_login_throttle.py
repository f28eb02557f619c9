"""The login throttle per key (an account or a source address), claimed by compare-and-set.

Revision ID: 0008_login_throttle
Revises: 0007_reconciliation
Create Date: 2026-12-07

``login_throttle`` was one row per name; it becomes one row per key
(``name:<account>`` or ``addr:<address>``) with the tries counted, when the next
may start and when the last one did (``seen_at``: quiet keys are forgotten, so
the table stays small). Its rows are only counters of recent failures, so the
old table is dropped rather than converted: a failure counted before the
upgrade is forgotten.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_login_throttle"
down_revision: str | None = "0007_reconciliation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a database made by today's ``create_all`` and stamped at 0001 already has the new shape
    columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("login_throttle")}
    if "key" in columns:
        return
    op.drop_table("login_throttle")
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("next_allowed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index("ix_login_throttle_seen", "login_throttle", ["seen_at"])


def downgrade() -> None:
    op.drop_table("login_throttle")
    op.create_table(
        "login_throttle",
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("next_allowed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )
