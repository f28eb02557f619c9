"""One poller per shop: a lease on the shop's cursor row (owner, expiry, fencing token).

Revision ID: 0004_poller_lease
Revises: 0003_lease_token
Create Date: 2026-12-01

``poller`` is the instance polling the shop, ``poller_until`` when its lease
runs out, ``poller_token`` the lease's generation: bumped on every take, and
checked when the watermark is saved, so a poller that lost its lease cannot
move the watermark.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_poller_lease"
down_revision: str | None = "0003_lease_token"
branch_labels = None
depends_on = None


def _columns() -> list[sa.Column[object]]:
    return [
        sa.Column("poller", sa.String(length=80), nullable=True),
        sa.Column("poller_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("poller_token", sa.Integer(), nullable=False, server_default=sa.text("0")),
    ]


def upgrade() -> None:
    # a database made by today's ``create_all`` and stamped at 0001 already has them
    present = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("cursors")}
    with op.batch_alter_table("cursors") as batch:
        for column in _columns():
            if column.name not in present:
                batch.add_column(column)


def downgrade() -> None:
    with op.batch_alter_table("cursors") as batch:
        for column in reversed(_columns()):
            batch.drop_column(column.name)
