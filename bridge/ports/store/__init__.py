"""The store's Protocols, by role: one per repository, each written from the calls its users make.

``StorePort`` hands the roles out as attributes (``store.lines``, ``store.intake`` …): a
service reaches the store only through the role it names, so a call site says what it touches,
and adding a store method touches the role's Protocol and its repository, nothing else.
``bridge.store.SqlStore`` implements it, and mypy checks each repository against its role
where the store builds it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bridge.ports.store.accounts import AccountStorePort
from bridge.ports.store.api_callbacks import ApiCallbackStorePort
from bridge.ports.store.api_orders import ApiOrderStorePort
from bridge.ports.store.console import (
    ConsoleStorePort,
    DashboardStorePort,
    MonitoringStorePort,
    ViewStorePort,
)
from bridge.ports.store.deadlines import DeadlineStorePort
from bridge.ports.store.delivery import DeliveryStorePort
from bridge.ports.store.intake import IntakeStorePort, PollerStorePort
from bridge.ports.store.lines import LineStorePort, MoveStorePort, OperationStorePort
from bridge.ports.store.queue import QueueStorePort
from bridge.ports.store.reconcile import ReconcileStorePort
from bridge.ports.store.recovery import RecoveryStorePort
from bridge.ports.store.retention import ArchiveKind, RetentionStorePort
from bridge.ports.store.reversals import ReversalStorePort


@dataclass(frozen=True)
class DiskSpace:
    """The free space where the database file sits: its path and the bytes still usable there."""

    path: str
    free_bytes: int


class StorePort(Protocol):
    """The whole store, as the roles it hands out (``bridge.store.SqlStore``)."""

    @property
    def intake(self) -> IntakeStorePort: ...

    @property
    def pollers(self) -> PollerStorePort: ...

    @property
    def lines(self) -> LineStorePort: ...

    @property
    def operations(self) -> OperationStorePort: ...

    @property
    def moves(self) -> MoveStorePort: ...

    @property
    def reversals(self) -> ReversalStorePort: ...

    @property
    def delivery(self) -> DeliveryStorePort: ...

    @property
    def console(self) -> ConsoleStorePort: ...

    @property
    def dashboard(self) -> DashboardStorePort: ...

    @property
    def monitoring(self) -> MonitoringStorePort: ...

    @property
    def views(self) -> ViewStorePort: ...

    @property
    def queue(self) -> QueueStorePort: ...

    @property
    def accounts(self) -> AccountStorePort: ...

    @property
    def reconcile(self) -> ReconcileStorePort: ...

    @property
    def retention(self) -> RetentionStorePort: ...

    @property
    def recovery(self) -> RecoveryStorePort: ...

    @property
    def deadlines(self) -> DeadlineStorePort: ...

    @property
    def api_orders(self) -> ApiOrderStorePort: ...

    @property
    def api_callbacks(self) -> ApiCallbackStorePort: ...

    async def database_time(self) -> datetime:
        """The database's current time: the clock every instance's leases are measured by."""
        ...

    def writes_done(self) -> int:
        """A rising count of the write statements carried out: health's sign that writes land again."""
        ...

    def disk_space(self) -> DiskSpace | None:
        """The free space on the database file's disk; None where the bridge cannot see it (a server)."""
        ...


__all__ = [
    "AccountStorePort",
    "ApiCallbackStorePort",
    "ApiOrderStorePort",
    "ArchiveKind",
    "ConsoleStorePort",
    "DashboardStorePort",
    "DeadlineStorePort",
    "DeliveryStorePort",
    "DiskSpace",
    "IntakeStorePort",
    "LineStorePort",
    "MonitoringStorePort",
    "MoveStorePort",
    "OperationStorePort",
    "PollerStorePort",
    "QueueStorePort",
    "ReconcileStorePort",
    "RecoveryStorePort",
    "RetentionStorePort",
    "ReversalStorePort",
    "StorePort",
    "ViewStorePort",
]
