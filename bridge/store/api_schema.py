"""Tables of the order API (migration 0015_api_orders), on the store's one ``metadata``.

- ``api_orders``     one row per channel client's order (unique client + order_id): the body as received
                     (JSON) and the SHA-256 of its bytes, when it was paid, received and last changed, and
                     the columns the pipeline fills later (delivered, the note for the client, a refund
                     requested)
- ``api_callbacks``  the callbacks' outbox (migration 0016_api_callbacks): one row per notification of an
                     order's settled state, inserted in the transaction that changed the order, with its
                     idempotency key (unique), URL, JSON payload, attempts, next try and acknowledgement
- ``api_signatures`` every signature accepted within the skew window (the primary key refuses a replay on
                     every instance alike); rows older than the window are deleted
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, String, Table, Text, UniqueConstraint

from bridge.core.request_ids import MAX_SHOP, MAX_TID
from bridge.store.schema import JsonText, UtcDateTime, metadata

api_orders = Table(
    "api_orders",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client", String(MAX_SHOP), nullable=False),  # the client's name: its orders' shop
    Column("order_id", String(MAX_TID), nullable=False),  # the client's id: its orders' tid
    Column("body", JsonText, nullable=False),
    Column("body_sha256", String(64), nullable=False),
    Column("paid_at", UtcDateTime, nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Column("modified_at", UtcDateTime, nullable=False),
    Column("delivered_at", UtcDateTime),
    Column("note", Text),
    Column("refund_requested_at", UtcDateTime),
    Column("codes", JsonText),  # each line's card codes by oid, as delivered
    Column("severity", String(8)),  # the mark beside ``note`` (a ``Severity`` value)
    Column("settled_state", String(24)),  # the order's state the last callback announced
    Column("settled_seq", Integer, nullable=False, server_default="0"),  # callbacks queued so far
    UniqueConstraint("client", "order_id", name="uq_api_orders_client_order"),
    Index("ix_api_orders_paid", "client", "paid_at"),  # a client's orders of a day, paged
)

api_callbacks = Table(
    "api_callbacks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client", String(MAX_SHOP), nullable=False),
    Column("order_id", String(MAX_TID), nullable=False),
    Column("event_key", String(64), nullable=False),  # the idempotency key the client deduplicates on
    Column("state", String(24), nullable=False),  # the order's state it announces
    Column("url", Text, nullable=False),
    Column("payload", JsonText, nullable=False),  # the body sent, fixed when queued
    Column("created_at", UtcDateTime, nullable=False),
    Column("next_at", UtcDateTime, nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_status", Integer),  # the HTTP status of the last try (None: no answer)
    Column("last_error", Text),
    Column("acknowledged_at", UtcDateTime),  # a 2xx came back
    Column("lease_owner", String(64)),
    Column("lease_until", UtcDateTime),
    UniqueConstraint("event_key", name="uq_api_callbacks_event_key"),
    Index("ix_api_callbacks_due", "acknowledged_at", "next_at"),
    Index("ix_api_callbacks_order", "client", "order_id"),
)

api_signatures = Table(
    "api_signatures",
    metadata,
    Column("signature", String(64), primary_key=True),
    Column("client", String(MAX_SHOP), nullable=False),
    Column("seen_at", UtcDateTime, nullable=False),
    Index("ix_api_signatures_seen", "seen_at"),  # the old ones, deleted
)
