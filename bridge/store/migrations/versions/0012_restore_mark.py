"""The backup mark: a copy made by ``bridge backup`` says it is one.

Revision ID: 0012_restore_mark
Revises: 0011_console_indexes
Create Date: 2026-12-07

``backup_marks`` holds one row in a backup (never in the live database): the
time the copy started. ``bridge run`` refuses a database holding it, so a
restored backup is never worked on before ``bridge recover`` has looked up
what the billing core applied since and re-read the marketplace.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_restore_mark"
down_revision: str | None = "0011_console_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a database made by today's ``create_all`` and stamped at 0001 already has the table
    if sa.inspect(op.get_bind()).has_table("backup_marks"):
        return
    op.create_table(
        "backup_marks",
        sa.Column("name", sa.String(length=16), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("backup_marks")
