"""A line remembers the admin who let it past its ceilings.

Revision ID: 0010_line_approval
Revises: 0009_archive
Create Date: 2026-12-07

A paid line above its ceilings (``bridge.core.ceilings``) waits in EXCEPTION until
an admin approves it; the approval is kept on the line (``ceiling_approved_by``),
so planning it again (a card corrected, a retry) never stops it a second time.
Like 0003 it may run on a schema that already has the column (tables made by
``create_all`` are stamped at 0001), so an existing column is kept.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_line_approval"
down_revision: str | None = "0009_archive"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if "ceiling_approved_by" in {c["name"] for c in sa.inspect(op.get_bind()).get_columns("lines")}:
        return
    with op.batch_alter_table("lines") as batch:
        batch.add_column(sa.Column("ceiling_approved_by", sa.String(length=80), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("lines") as batch:
        batch.drop_column("ceiling_approved_by")
