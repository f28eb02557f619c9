"""``SqlStore``: the repositories composed over one engine, with the methods the store ports declare.

Each repository is a plain class holding the engine; ``SqlStore`` only hands
their methods out under one name, so the services see one store
(``bridge.ports.StorePort``) while each piece stays small and stands alone.
mypy checks the whole against the port (``_conforms`` below).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from bridge.ports import StorePort
from bridge.store.accounts import AccountRepository
from bridge.store.clock import database_time
from bridge.store.console import ConsoleRepository
from bridge.store.dashboard import DashboardRepository
from bridge.store.delivery import DeliveryRepository
from bridge.store.figures import FigureRepository
from bridge.store.intake import IntakeRepository
from bridge.store.lines import LineRepository
from bridge.store.moves import MoveRepository
from bridge.store.operations import OperationRepository
from bridge.store.poller import PollerRepository
from bridge.store.queue import QueueRepository
from bridge.store.reconcile import ReconcileRepository
from bridge.store.reversals import ReversalRepository
from bridge.store.views import ViewRepository


class SqlStore:
    """Lines, operations, trades, memos, the polling cursor, the read views and the console's tables."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._expose_intake_and_delivery(engine)
        self._expose_lines_and_operations(engine)
        self._expose_console_and_accounts(engine)
        self._expose_reconciliation(engine)

    def _expose_intake_and_delivery(self, engine: AsyncEngine) -> None:
        intake = IntakeRepository(engine)
        self.save_trade = intake.save_trade
        self.save_trades = intake.save_trades
        self.known_versions = intake.known_versions
        self.watermark = intake.watermark
        self.save_watermark = intake.save_watermark
        self.poll_failed = intake.poll_failed
        poller = PollerRepository(engine)
        self.take_poller = poller.take_poller
        self.renew_poller = poller.renew_poller
        self.release_poller = poller.release_poller
        self.record_intake_failure = intake.record_intake_failure

        delivery = DeliveryRepository(engine)
        self.claim_trades = delivery.claim_trades
        self.trade_lines = delivery.trade_lines
        self.trade_delivered = delivery.trade_delivered
        self.trades_delivered = delivery.trades_delivered
        self.lines_of_trades = delivery.lines_of_trades
        self.trade_delivery_failed = delivery.trade_delivery_failed
        self.release_trade = delivery.release_trade
        self.claim_memos = delivery.claim_memos
        self.memo_done = delivery.memo_done
        self.memo_failed = delivery.memo_failed
        self.memo_later = delivery.memo_later
        self.queue_memo = delivery.queue_memo
        self.lines_of_tid = delivery.lines_of_tid

    def _expose_lines_and_operations(self, engine: AsyncEngine) -> None:
        lines = LineRepository(engine)
        self.trade_for_planning = lines.trade_for_planning
        self.mark_ready = lines.mark_ready
        self.mark_ready_many = lines.mark_ready_many
        self.claim_lines = lines.claim_lines
        self.release = lines.release
        self.renew_lease = lines.renew_lease
        self.sweep_leases = lines.sweep_leases
        self.lines_in = lines.lines_in
        self.reset_attempts = lines.reset_attempts

        ops = OperationRepository(engine)
        self.begin_submit = ops.begin_submit
        self.record_applied = ops.record_applied
        self.record_applied_many = ops.record_applied_many
        self.record_unknown = ops.record_unknown
        self.record_retry = ops.record_retry
        self.record_exception = ops.record_exception

        moves = MoveRepository(engine)
        self.move = moves.move
        self.hold = moves.hold
        self.release_hold = moves.release_hold
        self.cancel_refunded = moves.cancel_refunded
        self.refund_after_delivery = moves.refund_after_delivery
        self.release_parked = moves.release_parked
        self.resolve = moves.resolve
        self.cancel_for_refund = moves.cancel_for_refund

        reversal = ReversalRepository(engine)
        self.reversal_parts = reversal.reversal_parts
        self.request_reversal = reversal.request_reversal
        self.approve_reversal = reversal.approve_reversal
        self.reject_reversal = reversal.reject_reversal
        self.settle_reversal_by_hand = reversal.settle_reversal_by_hand
        self.reversal_sent = reversal.reversal_sent
        self.reversal_gave_up = reversal.reversal_gave_up
        self.reversal_not_sent = reversal.reversal_not_sent
        self.part_done = reversal.part_done
        self.reversal_refused = reversal.reversal_refused

    def _expose_console_and_accounts(self, engine: AsyncEngine) -> None:
        queue = QueueRepository(engine)
        self.queue = queue.queue
        self.queue_reason_counts = queue.queue_reason_counts
        self.queue_ids = queue.queue_ids
        self.search_trades = queue.search_trades
        self.line_states = queue.line_states
        self.offer_batch = queue.offer_batch
        self.batch = queue.batch
        self.start_batch = queue.start_batch
        self.audit_batches = queue.audit_batches

        console = ConsoleRepository(engine)
        self.line_by_id = console.line_by_id
        self.oldest_waiting = console.oldest_waiting
        self.delivered_since = console.delivered_since
        self.last_applied_at = console.last_applied_at
        self.unmapped_inbox = console.unmapped_inbox
        self.parked_lines = console.parked_lines
        self.figures = FigureRepository(engine).figures
        self.add_audit = console.add_audit
        self.audit_entries = console.audit_entries
        self.audit_actors_and_actions = console.audit_actors_and_actions

        dashboard = DashboardRepository(engine)
        self.waiting_for_a_person = dashboard.waiting_for_a_person
        self.orders_delivered_since = dashboard.orders_delivered_since
        self.activity_since = dashboard.activity_since
        self.delivery_seconds_since = dashboard.delivery_seconds_since

        views = ViewRepository(engine)
        self.find_trades = views.find_trades
        self.trade_story = views.trade_story
        self.state_counts = views.state_counts
        self.exception_counts = views.exception_counts
        self.cursor_rows = views.cursor_rows
        self.all_lines = views.all_lines
        self.progress = views.progress

        accounts = AccountRepository(engine)
        self.add_user = accounts.add_user
        self.update_user = accounts.update_user
        self.user_by_name = accounts.user_by_name
        self.all_users = accounts.all_users
        self.create_session = accounts.create_session
        self.session_user = accounts.session_user
        self.end_session = accounts.end_session
        self.login_wait_until = accounts.login_wait_until
        self.login_failed = accounts.login_failed
        self.login_succeeded = accounts.login_succeeded

    def _expose_reconciliation(self, engine: AsyncEngine) -> None:
        recon = ReconcileRepository(engine)
        self.take_reconcile_lease = recon.take_reconcile_lease
        self.release_reconcile_lease = recon.release_reconcile_lease
        self.lines_paid_between = recon.lines_paid_between
        self.known_request_ids = recon.known_request_ids
        self.flag_for_reconciliation = recon.flag_for_reconciliation
        self.save_reconciliation = recon.save_reconciliation
        self.reconcile_runs = recon.reconcile_runs
        self.reconcile_run = recon.reconcile_run

    async def database_time(self) -> datetime:
        """The database's current time (``bridge.store.clock``)."""
        return await database_time(self._engine)

    @property
    def engine(self) -> AsyncEngine:
        return self._engine

    async def close(self) -> None:
        await self._engine.dispose()


def _conforms(store: SqlStore) -> StorePort:
    """Never called: mypy checks here that ``SqlStore`` offers every method of ``StorePort``."""
    return store
