"""What the store hands to services and the console: plain records of what is stored.

Lines, operations, trades, events and memos for the pipeline; users, queue
rows, the unmapped-SKU inbox and audit entries for the console. Frozen
dataclasses in domain terms: no SQL row ever leaves the store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bridge.core.models import Operation, OperationResult
from bridge.core.states import LineState


@dataclass(frozen=True)
class OperationRecord:
    id: int
    line_id: int
    part: int
    request_id: str
    kind: str
    payload: dict[str, Any]
    state: str  # an OperationState value: PENDING | SENT | UNKNOWN | APPLIED
    operation_id: str | None = None
    result: dict[str, Any] | None = None  # applied: the answer; sent: when (bridge.core.inflight)


@dataclass(frozen=True)
class LineRecord:
    id: int
    trade_id: int
    shop: str
    tid: str
    oid: str
    outer_sku_id: str | None
    title: str
    quantity: int
    price_fen: int
    payment_fen: int
    refund_status: str
    state: LineState
    attempts: int
    reason: str | None = None
    reason_detail: str | None = None
    card_no: str | None = None
    product_code: str | None = None
    product_name: str | None = None
    mapping_version: str | None = None
    customization: str | None = None
    paid_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    operations: tuple[OperationRecord, ...] = ()
    lease_owner: str | None = None  # the lease as this record was read: who held it ...
    lease_token: int = 0  # ... and its generation (every claim adds one): the fencing token
    ceiling_approved_by: str | None = None  # the admin who let it past its ceilings (core.ceilings)


@dataclass(frozen=True)
class TradeRecord:
    id: int
    shop: str
    tid: str
    status: str  # an OrderState value
    buyer_nick: str
    buyer_message: str | None
    payment_fen: int
    delivery_state: str  # a DeliveryState value: OPEN | DUE | DELIVERED | NOTHING | UNREADABLE
    delivery_attempts: int
    delivery_error: str | None = None
    pay_time: datetime | None = None
    delivered_at: datetime | None = None
    platform_status: str = ""  # the storefront's own word for the state, for people to read


@dataclass(frozen=True)
class EventRecord:
    at: datetime
    actor: str
    kind: str
    oid: str | None
    from_state: str | None
    to_state: str | None
    reason: str | None
    detail: dict[str, Any] | None


@dataclass(frozen=True)
class MemoRecord:
    id: int
    shop: str
    tid: str
    key: str
    text: str
    flag: str  # a Severity value, or "kept" (a person's mark left as it was)
    attempts: int


# ------------------------------------------------------------------ console


@dataclass(frozen=True)
class UserRecord:
    id: int
    name: str
    role: str
    password_hash: str
    disabled: bool
    created_at: datetime


@dataclass(frozen=True)
class QueueFilter:
    """The queue's filters; every field optional. ``q``: tid/oid, buyer nickname or card's last 4."""

    state: LineState = LineState.EXCEPTION
    reason: str | None = None
    shop: str | None = None
    older_than: datetime | None = None  # only lines paid (or received) before this moment
    q: str | None = None
    shops: tuple[str, ...] | None = None  # only these shops' lines (a storefront's shops); None: any


@dataclass(frozen=True)
class QueueRow:
    line: LineRecord
    buyer_nick: str
    buyer_message: str | None

    @property
    def since(self) -> datetime | None:
        return self.line.paid_at or self.line.created_at


@dataclass(frozen=True)
class UnreadableTrade:
    """A paid trade the bridge could not read, waiting in front of CS until a read is good."""

    shop: str
    tid: str
    error: str  # the last failed read's reason, as the adapter said it
    reads: int  # failed reads so far
    first_seen: datetime
    last_seen: datetime


@dataclass(frozen=True)
class UnmappedSku:
    outer_sku_id: str
    title: str
    price_fen: int
    parked: int
    oldest: datetime
    shops: tuple[
        str, ...
    ] = ()  # the shops whose lines wait for it (their storefronts: where the code came from)


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str
    outcome: str
    shop: str | None
    tid: str | None
    oid: str | None
    line_id: int | None
    before: str | None
    after: str | None
    note: str | None
    detail: dict[str, Any] | None
    batch: str | None = None  # the bulk action this entry belongs to (one header row, a row per line)


@dataclass(frozen=True)
class AuditNote:
    """An audit entry to write with the change it records, in the same transaction.

    Handed to the store method that makes the change: the row is inserted only
    when the change is made (a line that moved, a batch started, a user added),
    with the line and its states before → after filled in by the store (after:
    the state the compare-and-set moved to). ``outcome`` done | unchanged | refused.
    """

    at: datetime
    actor: str
    action: str
    outcome: str = "done"
    note: str | None = None
    detail: dict[str, Any] | None = None
    batch: str | None = None


@dataclass(frozen=True)
class PollerLease:
    """Who polls a shop, until when, and the lease's fencing token (its generation)."""

    shop: str
    owner: str | None
    until: datetime | None
    token: int


@dataclass(frozen=True)
class PlannedLine:
    """What the planner decided for one line, for the store to make it READY (``mark_ready_many``)."""

    line: LineRecord
    operations: tuple[Operation, ...]
    card_no: str | None
    product_code: str
    product_name: str
    delivery_mode: str
    mapping_version: str
    frm: tuple[LineState, ...] = (LineState.RECEIVED,)
    audit: AuditNote | None = None  # a person's re-plan: its audit entry commits with the move


@dataclass(frozen=True)
class Applied:
    """A part the billing core applied, to record; ``how`` it was learnt (applied, reconciled)."""

    line: LineRecord
    op: OperationRecord
    result: OperationResult
    how: str = "applied"


@dataclass(frozen=True)
class KnownTrade:
    """What the store holds of a listed trade: enough to tell whether a re-listing changed it."""

    status: str
    modified: datetime
    read_at: datetime
    delivered: bool  # the bridge's own write-back marked it delivered
    refunds: tuple[tuple[str, str], ...]  # each stored line's (oid, refund_status), by oid


@dataclass(frozen=True)
class StoredTrade:
    """A trade of a page as intake stored it: all its lines, and whether the store already held
    a newer read of it (then this read changed nothing stored but lines it had not seen)."""

    lines: tuple[LineRecord, ...]
    newer_stored: bool


@dataclass(frozen=True)
class ShopFigures:
    """One shop's polling and paid-order figures, as stored."""

    shop: str
    watermark: datetime | None  # NULL until a poll succeeds
    last_poll_success: datetime | None
    last_paid: datetime | None  # the newest paid line stored for the shop
    poll_error: str | None = None  # the last poll's error, until a poll succeeds


@dataclass(frozen=True)
class StoreFigures:
    """What monitoring reads from the shared store at each scrape, in one go."""

    lines_by_state: dict[str, int]
    exceptions_by_reason: dict[str, int]
    oldest_due: datetime | None  # when the oldest line the bridge still works on was paid
    oldest_exception: datetime | None  # when the oldest line waiting for a person was paid
    writeback_failing: int  # trades due for write-back whose last attempt failed
    shops: tuple[ShopFigures, ...]


@dataclass(frozen=True)
class TradePage:
    """One page of an order for people: the page's lines, the whole trade's lines counted by state,
    and the newest events of its timeline (oldest first) out of how many."""

    lines: tuple[LineRecord, ...]
    counts: dict[LineState, int]
    events: tuple[EventRecord, ...]
    events_total: int

    @property
    def lines_total(self) -> int:
        return sum(self.counts.values())
