"""The store's role for the callbacks' outbox: claim the due ones, record each try, resend, figures."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from bridge.core.callbacks import CallbackFigures, CallbackRecord
from bridge.core.records import AuditNote


class ApiCallbackStorePort(Protocol):
    """What the callbacks' sender (``bridge.services.api_callbacks``), the console and ``/metrics`` use."""

    async def claim_due(self, owner: str, now: datetime, lease_s: float, limit: int) -> list[CallbackRecord]:
        """Lease (for ``lease_s``) up to ``limit`` callbacks not acknowledged whose next try is due at ``now``
        and that no live lease covers (another instance's are skipped, never waited for), oldest due first."""
        ...

    async def record_failure(
        self, callback_id: int, owner: str, status: int | None, error: str, next_at: datetime
    ) -> bool:
        """A try that got no 2xx: one more attempt, its status (None: no answer) and error, the next try at
        ``next_at``, the lease released; False when ``owner`` no longer holds the lease (nothing written)."""
        ...

    async def acknowledge(self, callback_id: int, owner: str, status: int, now: datetime) -> bool:
        """A 2xx came back at ``now``: acknowledged (one more attempt, the lease released); False when it
        was already acknowledged."""
        ...

    async def resend(
        self, client: str, order_id: str, event_key: str, now: datetime, audit: AuditNote
    ) -> bool:
        """CS sends that callback of the order again, with its key: due at ``now``, no longer acknowledged and
        its attempts back to 0 (the audit row keeps what it was), with ``audit``'s row in the same
        transaction; False when the order has no callback of that key."""
        ...

    async def figures(self, now: datetime) -> list[CallbackFigures]:
        """Each client's callbacks not yet acknowledged (clients with none are left out), by client."""
        ...

    async def order_callbacks(self, client: str, order_id: str) -> list[CallbackRecord]:
        """The order's callbacks, oldest first."""
        ...
