"""The store's Protocols, by role: each written from the calls its users make.

``StorePort`` is all of them (what ``Deps.store`` holds); ``bridge.store.SqlStore``
implements it and mypy checks it does. Every move of a line is a compare-and-set
on the state it comes from: a method that moves a line returns False (and
changes nothing) when the line is no longer where the caller saw it. No method
takes raw column values: each kind of move has a name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from typing import Any, Protocol

from bridge.core.batches import Batch
from bridge.core.models import Operation, OperationResult, Trade
from bridge.core.reasons import Memo
from bridge.core.reconcile import Disagreement, RowRecord, RunFigures, RunRecord
from bridge.core.records import (
    Applied,
    AuditEntry,
    EventRecord,
    KnownTrade,
    LineRecord,
    MemoRecord,
    OperationRecord,
    PlannedLine,
    PollerLease,
    QueueFilter,
    QueueRow,
    StoredTrade,
    StoreFigures,
    TradeRecord,
    UnmappedSku,
    UserRecord,
)
from bridge.core.reversals import PartState, ReversalPart
from bridge.core.states import PROVISIONABLE, PROVISIONED, LineState
from bridge.core.trends import Activity


class IntakeStorePort(Protocol):
    """What intake writes: trades as read, the polling watermark and its poller lease, unreadable trades."""

    async def save_trade(self, shop: str, trade: Trade, now: datetime, actor: str) -> list[LineRecord]:
        """Store a trade and its lines (new lines as RECEIVED, each once); return all its lines.

        A read older than the stored one (by ``modified``) adds only lines not yet stored.
        """
        ...

    async def save_trades(
        self, shop: str, page: Sequence[Trade], now: datetime, actor: str
    ) -> list[StoredTrade]:
        """``save_trade`` for a page of trades in one transaction; each one's lines, in order."""
        ...

    async def known_versions(self, shop: str, tids: list[int]) -> dict[int, KnownTrade]:
        """What the store holds of these trades, to tell a changed one from a re-listed one."""
        ...

    async def watermark(self, shop: str) -> datetime | None: ...

    async def take_poller(self, shop: str, owner: str, *, now: datetime, until: datetime) -> PollerLease:
        """Take the shop's poller lease if free, run out, or already ``owner``'s (a new token each take).

        The lease as it stands afterwards: ``owner`` holds it when the answer names it.
        """
        ...

    async def save_watermark(
        self,
        shop: str,
        watermark: datetime,
        *,
        owner: str,
        token: int,
        started: datetime,
        now: datetime,
        until: datetime,
    ) -> bool:
        """Move the watermark (never backwards) after a whole range was stored; extend the lease to ``until``.

        Only while ``owner`` holds the lease with ``token``: False (nothing changed) once it lost it.
        """
        ...

    async def renew_poller(
        self, shop: str, owner: str, token: int, *, now: datetime, until: datetime
    ) -> bool:
        """Extend ``owner``'s lease (with ``token``, not yet run out) to ``until``; False when it was lost."""
        ...

    async def release_poller(self, shop: str, owner: str) -> bool:
        """Give up ``owner``'s lease on the shop (graceful shutdown); False when it held none."""
        ...

    async def poll_failed(self, shop: str, error: str) -> None: ...

    async def record_intake_failure(
        self, shop: str, tid: int, *, error: str, actor: str, now: datetime
    ) -> None:
        """A trade that could not be read or parsed: kept in the timeline for a person."""
        ...


class LineStorePort(Protocol):
    """Lines as work: planning, claims with a lease, billing outcomes, and the named moves."""

    async def database_time(self) -> datetime:
        """The database's current time: the clock every instance's leases are measured by."""
        ...

    async def trade_for_planning(self, line: LineRecord) -> Trade: ...

    async def mark_ready(
        self,
        line: LineRecord,
        ops: Sequence[Operation],
        *,
        card_no: str | None,
        product_code: str,
        product_name: str,
        delivery_mode: str,
        mapping_version: str,
        now: datetime,
        actor: str,
        frm: Iterable[LineState] = (LineState.RECEIVED,),
    ) -> bool:
        """→ READY with the line's operations (request_ids chosen once, kept forever)."""
        ...

    async def mark_ready_many(
        self, planned: Sequence[PlannedLine], *, now: datetime, actor: str
    ) -> list[bool]:
        """``mark_ready`` for several lines in one transaction; whether each became READY, in order."""
        ...

    async def claim_lines(
        self,
        owner: str,
        now: datetime,
        lease_s: float,
        limit: int,
        states: Iterable[LineState] = PROVISIONABLE,
    ) -> list[LineRecord]:
        """Lease up to ``limit`` due lines to ``owner``; a live lease is never taken over."""
        ...

    async def release(self, line: LineRecord, next_at: datetime | None = None) -> bool:
        """Give up the lease ``line`` was claimed with (fenced by its owner and token); with
        ``next_at``, the line is not due again before then."""
        ...

    async def renew_lease(self, line: LineRecord, now: datetime, lease_s: float) -> bool:
        """Extend a live lease to ``now + lease_s``; False if it ran out or was taken over."""
        ...

    async def sweep_leases(self, now: datetime) -> int: ...

    async def lines_in(self, states: Iterable[LineState], limit: int = 1000) -> list[LineRecord]: ...

    async def reset_attempts(self, line_id: int, now: datetime) -> bool: ...

    async def begin_submit(
        self, line: LineRecord, op: OperationRecord, owner: str, now: datetime, need_s: float = 0.0
    ) -> bool:
        """Commit SUBMITTED before the call; False unless ``owner`` still holds ``line``'s lease
        (same token) and it lasts more than ``need_s`` past ``now``."""
        ...

    async def record_applied(
        self,
        line: LineRecord,
        op: OperationRecord,
        result: OperationResult,
        actor: str,
        now: datetime,
        how: str = "applied",
    ) -> LineRecord | None:
        """The line after recording the part applied; None if the lease moved on (fenced out)."""
        ...

    async def record_applied_many(
        self, applied: Sequence[Applied], actor: str, now: datetime
    ) -> list[LineRecord | None]:
        """Several applied parts of different lines in one transaction, each fenced by its line's
        lease; for each, the line as it now is, or None if fenced out."""
        ...

    async def record_unknown(
        self,
        line: LineRecord,
        op: OperationRecord,
        *,
        error: str,
        actor: str,
        now: datetime,
        next_at: datetime,
    ) -> bool: ...

    async def record_retry(
        self,
        line: LineRecord,
        op: OperationRecord,
        *,
        error: str,
        actor: str,
        now: datetime,
        next_at: datetime,
        count_attempt: bool,
        refused: bool = False,
    ) -> bool: ...

    async def record_exception(
        self,
        line: LineRecord,
        *,
        reason: str,
        message: str,
        actor: str,
        now: datetime,
        memo: Memo | None,
        detail: dict[str, Any] | None = None,
        not_applied: Sequence[OperationRecord] = (),
    ) -> bool: ...

    async def hold(self, line: LineRecord, *, refund_status: str, now: datetime, actor: str) -> bool:
        """Refund requested before provisioning: HELD."""
        ...

    async def release_hold(self, line: LineRecord, *, refund_status: str, now: datetime, actor: str) -> bool:
        """Refund request withdrawn: HELD → RECEIVED."""
        ...

    async def cancel_refunded(
        self, line: LineRecord, *, refund_status: str, now: datetime, actor: str
    ) -> bool:
        """Refunded or closed before provisioning: CANCELLED."""
        ...

    async def refund_after_delivery(
        self,
        line: LineRecord,
        *,
        detail: dict[str, Any],
        memo: Memo,
        now: datetime,
        actor: str,
        frm: Iterable[LineState] = PROVISIONED,
    ) -> bool:
        """Refunded or closed after provisioning: REVERSAL_PENDING, with a memo for CS."""
        ...

    async def release_parked(
        self, line: LineRecord, *, mapping_version: str, now: datetime, actor: str
    ) -> bool:
        """EXCEPTION → RECEIVED now that the line's SKU is mapped."""
        ...

    async def resolve(
        self, line: LineRecord, *, resolution: str, note: str, now: datetime, actor: str
    ) -> bool:
        """A person settled an EXCEPTION line without provisioning: RESOLVED."""
        ...

    async def cancel_for_refund(
        self, line: LineRecord, *, note: str, memo: Memo, now: datetime, actor: str
    ) -> bool:
        """A person cancelled a line never provisioned: CANCELLED, a memo asks for the refund."""
        ...


class ReversalStorePort(Protocol):
    """Reversals after delivery (``bridge.store.reversals``): request, decision, each part's progress."""

    async def reversal_parts(self, line_id: int) -> list[ReversalPart]: ...

    async def request_reversal(
        self,
        line: LineRecord,
        parts: Sequence[OperationRecord],
        *,
        approval: bool,
        note: str,
        now: datetime,
        actor: str,
    ) -> bool:
        """REVERSAL_PENDING → REVERSAL_REQUESTED (an admin decides) or REVERSING with its parts."""
        ...

    async def approve_reversal(
        self, line: LineRecord, parts: Sequence[OperationRecord], *, note: str, now: datetime, actor: str
    ) -> bool:
        """REVERSAL_REQUESTED → REVERSING with its parts."""
        ...

    async def reject_reversal(self, line: LineRecord, *, reason: str, now: datetime, actor: str) -> bool:
        """REVERSAL_REQUESTED → REVERSAL_PENDING with the reason."""
        ...

    async def settle_reversal_by_hand(
        self, line: LineRecord, *, note: str, now: datetime, actor: str
    ) -> bool:
        """REVERSAL_PENDING → RESOLVED: CS settled the refund outside the bridge."""
        ...

    async def reversal_sent(
        self, line: LineRecord, part: ReversalPart, now: datetime, actor: str, need_s: float = 0.0
    ) -> bool:
        """SENT before the call, under the line's lease (lasting more than ``need_s`` past ``now``)."""
        ...

    async def reversal_gave_up(
        self, line: LineRecord, part: ReversalPart, error: str, now: datetime
    ) -> bool: ...

    async def reversal_not_sent(
        self, line: LineRecord, part: ReversalPart, error: str, now: datetime
    ) -> bool: ...

    async def part_done(
        self,
        line: LineRecord,
        part: ReversalPart,
        state: PartState,
        *,
        operation_id: str | None,
        how: str,
        now: datetime,
        actor: str,
    ) -> LineState | None:
        """REVERSED / NOT_APPLIED; the last part moves the line to REVERSED. None: fenced out."""
        ...

    async def reversal_refused(
        self, line: LineRecord, part: ReversalPart, *, code: str, message: str, now: datetime, actor: str
    ) -> bool:
        """REFUSED, and the line back to CS (REVERSAL_PENDING, REVERSAL_NOT_ALLOWED)."""
        ...


class DeliveryStorePort(Protocol):
    """Write-back of settled trades and seller memos, each claimed with a lease."""

    async def claim_trades(
        self, owner: str, now: datetime, lease_s: float, limit: int
    ) -> list[TradeRecord]: ...

    async def trade_lines(self, trade_id: int) -> list[LineRecord]: ...

    async def lines_of_trades(self, trade_ids: Sequence[int]) -> dict[int, list[LineRecord]]:
        """The lines of several trades, by trade id (one read for a batch)."""
        ...

    async def trade_delivered(
        self, trade: TradeRecord, *, outcome: str, actor: str, now: datetime
    ) -> None: ...

    async def trades_delivered(
        self, delivered: Sequence[tuple[TradeRecord, str]], *, actor: str, now: datetime
    ) -> None:
        """``trade_delivered`` for several trades (each with its outcome) in one transaction."""
        ...

    async def trade_delivery_failed(
        self, trade: TradeRecord, *, error: str, actor: str, now: datetime, next_at: datetime
    ) -> None: ...

    async def release_trade(self, trade: TradeRecord, owner: str) -> None: ...

    async def claim_memos(self, now: datetime, limit: int, hold_s: float = 60.0) -> list[MemoRecord]: ...

    async def memo_done(self, memo: MemoRecord, actor: str, now: datetime) -> None: ...

    async def memo_failed(self, memo: MemoRecord, error: str, next_at: datetime) -> None: ...

    async def queue_memo(self, shop: str, tid: int, memo: Memo, now: datetime) -> None:
        """Queue a memo that follows no move of a line (once per key)."""
        ...

    async def memo_later(self, memo: MemoRecord, next_at: datetime) -> None:
        """Write the memo at ``next_at`` instead (its line still moving): no attempt counted."""
        ...

    async def lines_of_tid(self, shop: str, tid: int) -> list[LineRecord]:
        """A trade's lines by shop and tid (the memo writer renders their sections)."""
        ...


class ConsoleStorePort(Protocol):
    """What people read (queue, dashboards, one order's story) and the audit log they leave."""

    async def line_by_id(self, line_id: int) -> LineRecord | None: ...

    async def find_trades(self, tid: int, shop: str | None = None) -> list[TradeRecord]: ...

    async def trade_story(self, trade: TradeRecord) -> tuple[list[LineRecord], list[EventRecord]]: ...

    async def state_counts(self) -> dict[str, int]: ...

    async def exception_counts(self) -> dict[str, int]: ...

    async def oldest_waiting(self) -> datetime | None: ...

    async def delivered_since(self, since: datetime) -> int: ...

    async def last_applied_at(self) -> datetime | None: ...

    async def cursor_rows(self) -> list[dict[str, object]]: ...

    async def waiting_for_a_person(self) -> tuple[int, int]:
        """Orders with a line waiting for a person, and those lines: ``(orders, lines)``."""
        ...

    async def orders_delivered_since(self, since: datetime) -> int: ...

    async def activity_since(self, since: datetime) -> Activity:
        """Per hour (``bridge.core.trends``): orders received and delivered, lines sent to a person."""
        ...

    async def delivery_seconds_since(self, since: datetime) -> list[float]:
        """Payment → delivered, in seconds, of each line delivered since ``since``."""
        ...

    async def figures(self) -> StoreFigures:
        """What monitoring reads at each scrape (``bridge.metrics``), in one go."""
        ...

    async def progress(self) -> dict[str, int]: ...

    async def all_lines(self) -> list[LineRecord]: ...

    async def unmapped_inbox(self) -> list[UnmappedSku]: ...

    async def parked_lines(self, outer_sku_id: str, limit: int = 500) -> list[LineRecord]: ...

    async def add_audit(
        self,
        *,
        at: datetime,
        actor: str,
        action: str,
        outcome: str,
        line: LineRecord | None = None,
        before: str | None = None,
        after: str | None = None,
        note: str | None = None,
        detail: dict[str, Any] | None = None,
        batch: str | None = None,
    ) -> None: ...

    async def audit_entries(
        self,
        *,
        actor: str | None = None,
        action: str | None = None,
        tid: int | None = None,
        limit: int = 300,
    ) -> list[AuditEntry]: ...

    async def audit_actors_and_actions(self) -> tuple[list[str], list[str]]: ...


class QueueStorePort(Protocol):
    """The exception queue: a page, counts by reason, the ids a filter holds; bulk actions (acted on once)."""

    async def queue(
        self, f: QueueFilter, limit: int = 200, offset: int = 0
    ) -> tuple[list[QueueRow], int]: ...

    async def queue_reason_counts(self, f: QueueFilter) -> dict[str, int]: ...

    async def queue_ids(self, f: QueueFilter, limit: int) -> list[int]: ...

    async def search_trades(self, q: str, shop: str | None, limit: int = 2) -> list[tuple[str, int]]: ...

    async def line_states(self, line_ids: Iterable[int]) -> dict[int, LineState]: ...

    async def offer_batch(self, batch: Batch) -> None: ...

    async def batch(self, batch_id: str) -> Batch | None: ...

    async def start_batch(self, batch_id: str, now: datetime) -> Batch | None:
        """The batch, marked acted on; None when unknown or already started (the same token acts once)."""
        ...

    async def audit_batches(self, batch_ids: Iterable[str]) -> dict[str, list[AuditEntry]]: ...


class AccountStorePort(Protocol):
    """Console users, their sessions (by digest) and the login throttle."""

    async def add_user(self, name: str, role: str, password_hash: str, now: datetime) -> bool:
        """False when the name is taken."""
        ...

    async def update_user(
        self,
        name: str,
        now: datetime,
        *,
        role: str | None = None,
        password_hash: str | None = None,
        disabled: bool | None = None,
    ) -> bool: ...

    async def user_by_name(self, name: str) -> UserRecord | None: ...

    async def all_users(self) -> list[UserRecord]: ...

    async def create_session(
        self, user_id: int, id_hash: str, csrf: str, now: datetime, expires_at: datetime
    ) -> None: ...

    async def session_user(self, id_hash: str, now: datetime) -> tuple[UserRecord, str] | None: ...

    async def end_session(self, id_hash: str) -> None: ...

    async def login_wait_until(self, name: str) -> datetime | None: ...

    async def login_failed(
        self, name: str, now: datetime, delay_s: Callable[[int], float]
    ) -> tuple[int, datetime]: ...

    async def login_succeeded(self, name: str) -> None: ...


class ReconcileStorePort(Protocol):
    """What the reconciliation reads (the day's lines, known request_ids) and keeps (runs, rows)."""

    async def take_reconcile_lease(
        self, day: date, owner: str, *, now: datetime, until: datetime
    ) -> RunRecord | None:
        """The day's run leased to ``owner``; ``None`` while another instance holds its lease."""
        ...

    async def release_reconcile_lease(self, day: date, owner: str) -> None: ...

    async def lines_paid_between(self, start: datetime, end: datetime) -> list[LineRecord]:
        """Every line paid in ``[start, end)``, with its parts."""
        ...

    async def known_request_ids(self, request_ids: Iterable[str]) -> set[str]:
        """Which of these request_ids the bridge ever planned."""
        ...

    async def flag_for_reconciliation(
        self, line: LineRecord, *, reason: str, message: str, now: datetime, actor: str
    ) -> bool:
        """EXCEPTION with ``reason`` (a red memo) when the line's state may move there; else False."""
        ...

    async def save_reconciliation(
        self, figures: RunFigures, found: Sequence[tuple[Disagreement, bool]], *, owner: str, now: datetime
    ) -> RunRecord:
        """The day's run and its rows, by key (a day run again updates, never duplicates); lease released."""
        ...

    async def reconcile_runs(self, limit: int = 90) -> list[RunRecord]: ...

    async def reconcile_run(self, day: date) -> tuple[RunRecord, list[RowRecord]] | None: ...


class StorePort(
    IntakeStorePort,
    LineStorePort,
    DeliveryStorePort,
    ConsoleStorePort,
    QueueStorePort,
    AccountStorePort,
    ReversalStorePort,
    ReconcileStorePort,
    Protocol,
):
    """The whole store, as the services and the console use it (``bridge.store.SqlStore``)."""
