"""``SqlStore``: one repository per store role, built over one engine.

The store hands its roles out as attributes (``store.lines``, ``store.intake`` …),
each a plain repository holding the engine; nothing is forwarded. Each attribute
is annotated with its role Protocol (``bridge.ports.store``), so mypy checks every
repository against its role on the line that builds it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from bridge import ports
from bridge.store.accounts import AccountRepository
from bridge.store.api_callbacks import ApiCallbackRepository
from bridge.store.api_orders import ApiOrderRepository
from bridge.store.clock import database_time
from bridge.store.console import ConsoleRepository
from bridge.store.dashboard import DashboardRepository
from bridge.store.deadlines import DeadlineRepository
from bridge.store.delivery import DeliveryRepository
from bridge.store.disk import disk_space
from bridge.store.errors import count_writes
from bridge.store.figures import FigureRepository
from bridge.store.intake import IntakeRepository
from bridge.store.lines import LineRepository
from bridge.store.moves import MoveRepository
from bridge.store.operations import OperationRepository
from bridge.store.poller import PollerRepository
from bridge.store.queue import QueueRepository
from bridge.store.reconcile import ReconcileRepository
from bridge.store.recovery import RecoveryRepository
from bridge.store.retention import RetentionRepository
from bridge.store.reversals import ReversalRepository
from bridge.store.views import ViewRepository


class SqlStore:
    """The store's roles over one engine (SQLite or PostgreSQL)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self.intake: ports.IntakeStorePort = IntakeRepository(engine)
        self.pollers: ports.PollerStorePort = PollerRepository(engine)
        self.lines: ports.LineStorePort = LineRepository(engine)
        self.operations: ports.OperationStorePort = OperationRepository(engine)
        self.moves: ports.MoveStorePort = MoveRepository(engine)
        self.reversals: ports.ReversalStorePort = ReversalRepository(engine)
        self.delivery: ports.DeliveryStorePort = DeliveryRepository(engine)
        self.console: ports.ConsoleStorePort = ConsoleRepository(engine)
        self.dashboard: ports.DashboardStorePort = DashboardRepository(engine)
        self.monitoring: ports.MonitoringStorePort = FigureRepository(engine)
        self.views: ports.ViewStorePort = ViewRepository(engine)
        self.queue: ports.QueueStorePort = QueueRepository(engine)
        self.accounts: ports.AccountStorePort = AccountRepository(engine)
        self.reconcile: ports.ReconcileStorePort = ReconcileRepository(engine)
        self.retention: ports.RetentionStorePort = RetentionRepository(engine)
        self.recovery: ports.RecoveryStorePort = RecoveryRepository(engine)
        self.deadlines: ports.DeadlineStorePort = DeadlineRepository(engine)
        self.api_orders: ports.ApiOrderStorePort = ApiOrderRepository(engine)
        self.api_callbacks: ports.ApiCallbackStorePort = ApiCallbackRepository(engine)
        self._writes = count_writes(engine)

    async def database_time(self) -> datetime:
        """The database's current time (``bridge.store.clock``)."""
        return await database_time(self._engine)

    def writes_done(self) -> int:
        """The write statements carried out so far (``bridge.store.errors.count_writes``)."""
        return self._writes()

    def disk_space(self) -> ports.DiskSpace | None:
        """The free space on the SQLite file's disk (``bridge.store.disk``); None for PostgreSQL."""
        return disk_space(self._engine)

    @property
    def engine(self) -> AsyncEngine:
        return self._engine

    async def close(self) -> None:
        await self._engine.dispose()


def _conforms(store: SqlStore) -> ports.StorePort:
    """Never called: mypy checks here that ``SqlStore`` hands out every role of ``StorePort``."""
    return store
