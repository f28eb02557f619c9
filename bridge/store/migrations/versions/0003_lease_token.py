"""A fencing token on each line: the lease's generation, one more at every claim.

Revision ID: 0003_lease_token
Revises: 0002
Create Date: 2026-12-01

Every outcome written after a billing call is a compare-and-set on the lease
owner and this token, so a worker whose lease was taken over cannot write over
the new holder's work (``bridge.store.operations``). Like 0002 it may run on a
schema that already has the change (tables made by ``create_all`` are stamped at
0001), so an existing column is kept.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_lease_token"
down_revision: str | None = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if "lease_token" in {c["name"] for c in sa.inspect(op.get_bind()).get_columns("lines")}:
        return
    with op.batch_alter_table("lines") as batch:
        batch.add_column(sa.Column("lease_token", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("lines") as batch:
        batch.drop_column("lease_token")
