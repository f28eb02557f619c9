"""The Protocols the services depend on; adapters and the store implement them.

* ``remote`` — the billing core and the mapping files;
* ``storefront`` — a storefront in the bridge's own words, and its push source;
* ``metrics`` — what the services record (calls, delivery latency, messages);
* ``robot`` — the group-chat robot the alert notifier posts to;
* ``store`` — the store's roles (one per repository) and ``StorePort``, which hands them out.

This package is their public face: import the names from ``bridge.ports``.
"""

from bridge.ports.metrics import MetricsPort
from bridge.ports.remote import BillingPort, MappingFilesPort
from bridge.ports.robot import ChatRobotPort
from bridge.ports.store import (
    AccountStorePort,
    ApiCallbackStorePort,
    ApiOrderStorePort,
    ArchiveKind,
    ConsoleStorePort,
    DashboardStorePort,
    DeadlineStorePort,
    DeliveryStorePort,
    DiskSpace,
    IntakeStorePort,
    LineStorePort,
    MonitoringStorePort,
    MoveStorePort,
    OperationStorePort,
    PollerStorePort,
    QueueStorePort,
    ReconcileStorePort,
    RecoveryStorePort,
    RetentionStorePort,
    ReversalStorePort,
    StorePort,
    ViewStorePort,
)
from bridge.ports.storefront import PushSource, StorefrontPort

__all__ = [
    "AccountStorePort",
    "ApiCallbackStorePort",
    "ApiOrderStorePort",
    "ArchiveKind",
    "BillingPort",
    "ChatRobotPort",
    "ConsoleStorePort",
    "DashboardStorePort",
    "DeadlineStorePort",
    "DeliveryStorePort",
    "DiskSpace",
    "IntakeStorePort",
    "LineStorePort",
    "MappingFilesPort",
    "MetricsPort",
    "MonitoringStorePort",
    "MoveStorePort",
    "OperationStorePort",
    "PollerStorePort",
    "PushSource",
    "QueueStorePort",
    "ReconcileStorePort",
    "RecoveryStorePort",
    "RetentionStorePort",
    "ReversalStorePort",
    "StorePort",
    "StorefrontPort",
    "ViewStorePort",
]
