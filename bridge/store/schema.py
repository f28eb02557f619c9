"""Tables of the store. Uniqueness is enforced here, never by select-then-insert.

- ``trades``   one row per marketplace trade (unique shop + tid) with its delivery state
- ``lines``    one row per order line (unique shop + tid + oid) with its LineState
- ``operations`` one row per billing operation part (unique request_id, unique line + part)
- ``events``   the timeline: every transition and remote exchange, masked
- ``cursors``  the polling watermark per shop and its poller's lease (one poller per shop)
- ``memos``    seller memos waiting to be written (unique shop + tid + key)
- ``reversals`` one row per operation part a decided reversal undoes (unique request_id), migration 0006
- ``reconcile_runs`` / ``reconcile_rows``  a day's three-way reconciliation and its disagreements
- ``backup_marks`` a copy made by ``bridge backup`` says so (migration 0012): a daemon refuses it until
  ``bridge recover`` has run

``insert_ignore`` is how every repository relies on these constraints.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection

from bridge.core import request_ids


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetimes on every backend: stored as UTC, returned aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class JsonText(TypeDecorator[Any]):
    """JSON kept as text (portable between SQLite and PostgreSQL, keeps key order)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        return None if value is None else json.loads(value)


metadata = MetaData()

ORDER_ID = String(request_ids.MAX_STORED_ID)
"""A storefront's order id (tid, oid) as text (migration 0013_text_ids): Taobao's digits, Pinduoduo's
``231207-123456789012345``; ``bridge.core.request_ids`` keeps the ids it names far shorter."""

trades = Table(
    "trades",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("shop", String(16), nullable=False),
    Column("tid", ORDER_ID, nullable=False),
    Column("status", String(40), nullable=False),  # an OrderState value (migration 0014)
    # the storefront's own word for the state, for people to read (0014)
    Column("platform_status", String(40), nullable=False, default="", server_default=""),
    Column("buyer_nick", Text, nullable=False, default=""),  # the marketplace's text: any length
    Column("buyer_message", Text),
    Column("modified", UtcDateTime, nullable=False),
    Column("pay_time", UtcDateTime),
    Column("payment_fen", BigInteger, nullable=False),
    # OPEN: lines still moving · DUE: write back · DELIVERED · NOTHING: nothing to deliver
    Column("delivery_state", String(16), nullable=False, default="OPEN"),
    Column("delivery_attempts", Integer, nullable=False, default=0),
    Column("delivery_next_at", UtcDateTime),
    Column("delivery_error", Text),
    Column("delivered_at", UtcDateTime),
    Column("lease_owner", String(80)),
    Column("lease_until", UtcDateTime),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("shop", "tid", name="uq_trades_shop_tid"),
    Index("ix_trades_delivery", "delivery_state", "delivery_next_at"),
    Index("ix_trades_tid", "tid"),  # an order looked up by tid alone (0011)
    Index("ix_trades_created", "created_at"),  # the dashboard's day (0011)
    Index("ix_trades_delivered", "delivered_at"),  # likewise
)

lines = Table(
    "lines",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("trade_id", Integer, ForeignKey("trades.id"), nullable=False),
    Column("shop", String(16), nullable=False),
    Column("tid", ORDER_ID, nullable=False),
    Column("oid", ORDER_ID, nullable=False),
    Column("outer_sku_id", Text),  # as the seller typed it: any length (migration 0002)
    Column("sku_id", Text),
    Column("title", Text, nullable=False, default=""),
    Column("quantity", Integer, nullable=False),
    Column("price_fen", BigInteger, nullable=False),
    Column("payment_fen", BigInteger, nullable=False),
    Column("refund_status", String(40), nullable=False, default="none"),  # a RefundState value (0014)
    Column("customization", Text),
    Column("state", String(20), nullable=False),
    Column("reason", String(40)),
    Column("reason_detail", Text),
    Column("card_no", String(40)),
    Column("product_code", String(40)),
    Column("product_name", String(120)),
    Column("delivery_mode", String(16)),
    Column("mapping_version", String(40)),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UtcDateTime),
    Column("lease_owner", String(80)),
    Column("lease_until", UtcDateTime),
    Column("lease_token", Integer, nullable=False, default=0, server_default="0"),  # fencing (0003)
    Column("ceiling_approved_by", String(80)),  # the admin who let it past its ceilings (0010)
    Column("paid_at", UtcDateTime),
    Column("applied_at", UtcDateTime),
    Column("delivered_at", UtcDateTime),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("shop", "tid", "oid", name="uq_lines_shop_tid_oid"),
    Index("ix_lines_state_due", "state", "next_attempt_at"),
    Index("ix_lines_trade", "trade_id"),
    Index("ix_lines_tid", "tid"),  # the queue's search by tid or oid (0011)
    Index("ix_lines_oid", "oid"),
    Index("ix_lines_paid", "shop", "paid_at"),  # each shop's newest payment (0011)
    Index("ix_lines_delivered", "delivered_at"),  # payment → delivered of the last hour (0011)
)

operations = Table(
    "operations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("line_id", Integer, ForeignKey("lines.id"), nullable=False),
    Column("part", Integer, nullable=False),
    Column("request_id", String(64), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("payload", JsonText, nullable=False),
    # PENDING: not applied as far as we know · UNKNOWN: answer lost · APPLIED
    Column("state", String(12), nullable=False, default="PENDING"),
    Column("operation_id", String(64)),
    Column("result", JsonText),
    Column("applied_at", UtcDateTime),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("request_id", name="uq_operations_request_id"),
    UniqueConstraint("line_id", "part", name="uq_operations_line_part"),
)

events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UtcDateTime, nullable=False),
    Column("shop", String(16), nullable=False),
    Column("tid", ORDER_ID, nullable=False),
    Column("oid", ORDER_ID),
    Column("line_id", Integer),
    Column("actor", String(80), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("from_state", String(20)),
    Column("to_state", String(20)),
    Column("reason", String(40)),
    Column("detail", JsonText),
    Index("ix_events_trade", "shop", "tid"),
    Index("ix_events_at", "at"),  # the dashboard's day (0011)
)

cursors = Table(
    "cursors",
    metadata,
    Column("shop", String(16), primary_key=True),
    Column("watermark", UtcDateTime),  # NULL until a poll succeeds: a failing first poll still shows
    Column("last_poll_started", UtcDateTime),
    Column("last_success_at", UtcDateTime),
    Column("last_error", Text),
    # one poller per shop (migration 0004): who polls, until when, and the lease's fencing token
    Column("poller", String(80)),
    Column("poller_until", UtcDateTime),
    Column("poller_token", Integer, nullable=False, default=0, server_default=text("0")),
)

memos = Table(
    "memos",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("shop", String(16), nullable=False),
    Column("tid", ORDER_ID, nullable=False),
    Column("key", String(80), nullable=False),
    Column("text", Text, nullable=False),
    Column("flag", String(12), nullable=False),  # a Severity value, or "kept" (0014)
    Column("state", String(12), nullable=False, default="PENDING"),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_at", UtcDateTime),
    Column("last_error", Text),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("shop", "tid", "key", name="uq_memos_shop_tid_key"),
    Index("ix_memos_state", "state", "next_at"),
)


reversals = Table(
    "reversals",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("line_id", Integer, ForeignKey("lines.id"), nullable=False),
    Column("part", Integer, nullable=False),
    Column("request_id", String(64), nullable=False),  # the operation's: reversals are idempotent per it
    # PENDING · SENT (a call may be in flight: look up first) · REVERSED · NOT_APPLIED · REFUSED
    Column("state", String(12), nullable=False, default="PENDING"),
    Column("sent", JsonText),  # {"sent_at", "sends", "gave_up_at"}: bridge.core.inflight's markers
    Column("operation_id", String(64)),
    Column("error", Text),
    Column("reversed_at", UtcDateTime),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("request_id", name="uq_reversals_request_id"),
    Index("ix_reversals_line", "line_id"),
)


# reconciliation (migration 0007): one run per local day (its lease, so one instance runs it), and the
# run's disagreements (unique per run + key, so reconciling a day again never duplicates a row)
reconcile_runs = Table(
    "reconcile_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("day", String(10), nullable=False),  # the local date (UTC+8), YYYY-MM-DD
    Column("lease_owner", String(80)),
    Column("lease_until", UtcDateTime),
    Column("started_at", UtcDateTime),
    Column("finished_at", UtcDateTime),
    Column("listing", String(12)),  # LISTED | UNAVAILABLE: whether the billing core listed the day
    Column("paid_lines", Integer, nullable=False, default=0),
    Column("bridge_lines", Integer, nullable=False, default=0),
    Column("looked_up", Integer, nullable=False, default=0),
    Column("listed", Integer, nullable=False, default=0),
    Column("disagreements", Integer, nullable=False, default=0),
    Column("by_kind", JsonText),
    Column("actor", String(80)),
    UniqueConstraint("day", name="uq_reconcile_runs_day"),
)

reconcile_rows = Table(
    "reconcile_rows",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", Integer, ForeignKey("reconcile_runs.id"), nullable=False),
    Column("key", String(255), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("shop", String(16)),
    Column("tid", ORDER_ID),
    Column("oid", ORDER_ID),
    Column("request_id", String(64)),
    Column("operation_id", String(64)),
    Column("paid_fen", BigInteger),
    Column("planned_fen", BigInteger),
    Column("applied_fen", BigInteger),
    Column("detail", Text, nullable=False, default=""),
    Column("line_id", Integer),
    Column("flagged", Integer, nullable=False, default=0),  # the line was put in front of CS (EXCEPTION)
    Column("first_seen_at", UtcDateTime, nullable=False),
    Column("cleared_at", UtcDateTime),  # not found by the day's latest run
    UniqueConstraint("run_id", "key", name="uq_reconcile_rows_run_key"),
)

# a backup made by ``bridge backup`` carries one row here (migration 0012_restore_mark); the live
# database never does. ``bridge run`` refuses a database holding it; ``bridge recover`` removes it.
backup_marks = Table(
    "backup_marks",
    metadata,
    Column("name", String(16), primary_key=True),  # "backup"
    Column("taken_at", UtcDateTime, nullable=False),  # the database's time when the copy started
)


def insert_ignore(conn: AsyncConnection, table: Table, index: list[str]) -> Any:
    """INSERT … ON CONFLICT DO NOTHING for the connection's dialect: the constraint decides."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing(index_elements=index)
