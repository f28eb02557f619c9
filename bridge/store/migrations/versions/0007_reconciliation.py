"""Three-way reconciliation: a run per local day and the disagreements it found.

Revision ID: 0007_reconciliation
Revises: 0006_reversal
Create Date: 2026-12-02

``reconcile_runs`` holds one row per reconciled day (unique ``day``) with the
lease that lets one instance run it and the run's counts; ``reconcile_rows``
its disagreements, unique per run and key, so reconciling a day again updates
the rows instead of adding them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_reconciliation"
down_revision: str | None = "0006_reversal"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a database made by today's ``create_all`` and stamped at 0001 already has them
    present = set(sa.inspect(op.get_bind()).get_table_names())
    if "reconcile_runs" not in present:
        _create_runs()
    if "reconcile_rows" not in present:
        _create_rows()


def _create_runs() -> None:
    op.create_table(
        "reconcile_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("lease_owner", sa.String(length=80), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("listing", sa.String(length=12), nullable=True),
        sa.Column("paid_lines", sa.Integer(), nullable=False),
        sa.Column("bridge_lines", sa.Integer(), nullable=False),
        sa.Column("looked_up", sa.Integer(), nullable=False),
        sa.Column("listed", sa.Integer(), nullable=False),
        sa.Column("disagreements", sa.Integer(), nullable=False),
        sa.Column("by_kind", sa.Text(), nullable=True),
        sa.Column("actor", sa.String(length=80), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("day", name="uq_reconcile_runs_day"),
    )


def _create_rows() -> None:
    op.create_table(
        "reconcile_rows",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("shop", sa.String(length=16), nullable=True),
        sa.Column("tid", sa.BigInteger(), nullable=True),
        sa.Column("oid", sa.BigInteger(), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("operation_id", sa.String(length=64), nullable=True),
        sa.Column("paid_fen", sa.BigInteger(), nullable=True),
        sa.Column("planned_fen", sa.BigInteger(), nullable=True),
        sa.Column("applied_fen", sa.BigInteger(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=True),
        sa.Column("flagged", sa.Integer(), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cleared_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["reconcile_runs.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id", "key", name="uq_reconcile_rows_run_key"),
    )


def downgrade() -> None:
    op.drop_table("reconcile_rows")
    op.drop_table("reconcile_runs")
