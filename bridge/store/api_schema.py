"""Tables of the order API (migration 0015_api_orders), on the store's one ``metadata``.

- ``api_orders``     one row per channel client's order (unique client + order_id): the body as received
                     (JSON) and the SHA-256 of its bytes, when it was paid, received and last changed, and
                     the columns the pipeline fills later (delivered, the note for the client, a refund
                     requested)
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
    UniqueConstraint("client", "order_id", name="uq_api_orders_client_order"),
    Index("ix_api_orders_paid", "client", "paid_at"),  # a client's orders of a day, paged
)

api_signatures = Table(
    "api_signatures",
    metadata,
    Column("signature", String(64), primary_key=True),
    Column("client", String(MAX_SHOP), nullable=False),
    Column("seen_at", UtcDateTime, nullable=False),
    Index("ix_api_signatures_seen", "seen_at"),  # the old ones, deleted
)
