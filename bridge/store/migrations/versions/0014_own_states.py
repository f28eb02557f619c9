"""The bridge's own words for stored states: a trade's state, a line's refund, a memo's mark.

Revision ID: 0014_own_states
Revises: 0013_text_ids
Create Date: 2026-12-07

Until now the store kept Taobao's words: TOP's ``status`` in ``trades.status``, its
``refund_status`` in ``lines.refund_status`` and the seller flag's number in
``memos.flag``. Every storefront now speaks the bridge's (``bridge.core.trades``):

- ``trades.status`` becomes an ``OrderState`` value, by the Taobao adapter's table
  (``adapters.taobao.states``, copied here as it stands: a migration never follows later
  edits); the TOP text moves to a new ``trades.platform_status`` for people to read;
- ``lines.refund_status`` becomes a ``RefundState`` value (a status not in the table
  reads ``none``, as the bridge always treated one it did not know);
- ``memos.flag`` becomes text: a ``Severity`` value for the colours the bridge sets
  (grey, red, yellow, green), ``kept`` for a person's (blue, pink, any other).

Every row is kept; the events written before keep their words (the console names both).
Downgrade turns the words back (a state read from ``platform_status``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0014_own_states"
down_revision: str | None = "0013_text_ids"
branch_labels = None
depends_on = None

ORDER_STATES = {
    "TRADE_NO_CREATE_PAY": "unpaid",
    "WAIT_BUYER_PAY": "unpaid",
    "PAY_PENDING": "unpaid",
    "WAIT_PRE_AUTH_CONFIRM": "unpaid",
    "WAIT_SELLER_SEND_GOODS": "paid",
    "SELLER_CONSIGNED_PART": "part_shipped",
    "WAIT_BUYER_CONFIRM_GOODS": "shipped",
    "TRADE_BUYER_SIGNED": "shipped",
    "TRADE_FINISHED": "finished",
    "TRADE_CLOSED": "closed",
    "TRADE_CLOSED_BY_TAOBAO": "closed",
}
"""TOP's trade status → ``OrderState`` (any other: ``other``)."""

REFUND_STATES = {
    "WAIT_SELLER_AGREE": "requested",
    "WAIT_BUYER_RETURN_GOODS": "requested",
    "WAIT_SELLER_CONFIRM_GOODS": "requested",
    "SELLER_REFUSE_BUYER": "refused",
    "SUCCESS": "refunded",
}
"""TOP's refund status → ``RefundState`` (any other: ``none``)."""

FLAGS = {0: "none", 1: "act", 2: "watch", 3: "done"}
"""The seller flag → ``Severity`` (any other: ``kept``)."""

_BACK_REFUNDS = {"none": "NO_REFUND", "requested": "WAIT_SELLER_AGREE", "refused": "SELLER_REFUSE_BUYER"}


def _case(column: str, table: Mapping[Any, Any], default: str) -> str:
    def quoted(value: object) -> str:
        return f"'{value}'" if isinstance(value, str) else str(value)

    whens = " ".join(f"WHEN {quoted(old)} THEN {quoted(new)}" for old, new in table.items())
    return f"CASE {column} {whens} ELSE {quoted(default)} END"


def upgrade() -> None:
    # a database made by today's ``create_all`` and stamped at 0001 already speaks the bridge's words
    inspector = sa.inspect(op.get_bind())
    if "platform_status" not in {c["name"] for c in inspector.get_columns("trades")}:
        op.add_column(
            "trades", sa.Column("platform_status", sa.String(40), nullable=False, server_default="")
        )
        states = _case("status", ORDER_STATES, "other")
        op.execute(f"UPDATE trades SET platform_status = status, status = {states}")
        op.execute(f"UPDATE lines SET refund_status = {_case('refund_status', REFUND_STATES, 'none')}")
    [flag_type] = [c["type"] for c in inspector.get_columns("memos") if c["name"] == "flag"]
    if isinstance(flag_type, sa.Integer):
        _flags_as_words(op.get_bind().dialect.name == "postgresql")


def _flags_as_words(postgresql: bool) -> None:
    if postgresql:
        op.alter_column("memos", "flag", type_=sa.String(12), postgresql_using=_case("flag", FLAGS, "kept"))
    else:
        with op.batch_alter_table("memos", recreate="always") as batch:
            batch.alter_column("flag", type_=sa.String(12))
        op.execute(f"UPDATE memos SET flag = {_case('CAST(flag AS INTEGER)', FLAGS, 'kept')}")


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    back = {new: old for old, new in FLAGS.items()}
    if postgresql:
        op.alter_column("memos", "flag", type_=sa.Integer(), postgresql_using=_case("flag", back, "4"))
    else:
        op.execute(f"UPDATE memos SET flag = {_case('flag', back, '4')}")
        with op.batch_alter_table("memos", recreate="always") as batch:
            batch.alter_column("flag", type_=sa.Integer())
    op.execute(f"UPDATE lines SET refund_status = {_case('refund_status', _BACK_REFUNDS, 'SUCCESS')}")
    op.execute("UPDATE trades SET status = platform_status")
    with op.batch_alter_table("trades") as batch:
        batch.drop_column("platform_status")
