"""Reversals after delivery: one row per operation part a decided reversal undoes.

Revision ID: 0006_reversal
Revises: 0005_audit_batch
Create Date: 2026-12-02

A row is written in the same transaction as the line's move into REVERSING
(``bridge.store.reversals``); ``state`` says how far its part got (PENDING,
SENT: a call may be in flight so look it up before any resend, REVERSED,
NOT_APPLIED, REFUSED) and ``sent`` when the last call went out.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_reversal"
down_revision: str | None = "0005_audit_batch"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a database made by today's ``create_all`` and stamped at an older revision already has it
    if "reversals" in sa.inspect(op.get_bind()).get_table_names():
        return
    op.create_table(
        "reversals",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("line_id", sa.Integer(), sa.ForeignKey("lines.id"), nullable=False),
        sa.Column("part", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("sent", sa.Text(), nullable=True),
        sa.Column("operation_id", sa.String(length=64), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("reversed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("request_id", name="uq_reversals_request_id"),
    )
    op.create_index("ix_reversals_line", "reversals", ["line_id"])


def downgrade() -> None:
    op.drop_index("ix_reversals_line", table_name="reversals")
    op.drop_table("reversals")
