"""The Protocols of what lies outside the process: the billing core and the mapping files
(storefronts: ``bridge.ports.storefront``).

Each has one real implementation (``adapters/billing_core``,
``bridge.store.MappingDir``) and the remote systems one sandbox each. Domain types
only: no aiohttp, no wire shapes cross these lines. Every method raises only the
errors of ``bridge.core.errors``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Protocol

from bridge.core.mapping.edit import HistoryEntry
from bridge.core.models import Operation, OperationResult, Product, Subscriber


class BillingPort(Protocol):
    """The operator's billing core (BOSS), interface version 1."""

    async def products(self) -> list[Product]: ...

    async def subscriber(self, card_no: str) -> Subscriber:
        """Raises ``Permanent`` with code ``SUBSCRIBER_NOT_FOUND`` for an unknown card."""
        ...

    async def apply(self, operation: Operation) -> OperationResult:
        """POST /v1/operations; same request_id + same payload returns the original."""
        ...

    async def find(self, request_id: str) -> OperationResult | None:
        """GET /v1/operations/{id}; ``None`` when it was never applied."""
        ...

    async def list_operations(self, day: date) -> list[OperationResult] | None:
        """GET /v1/operations?date= (version 1.1), every page: each operation applied or reversed
        on ``day`` (CST), repeats of a request_id included; ``None`` when the core has no listing (1.0)."""
        ...

    async def reverse(self, request_id: str, reason: str) -> OperationResult: ...

    async def refresh_authorization(self, card_no: str) -> None: ...


class MappingFilesPort(Protocol):
    """The shop's two mapping files (catalogue and SKUs), wherever they are kept."""

    def names(self) -> tuple[str, str]:
        """How the two files are named in messages (catalogue, SKUs)."""
        ...

    def stamp(self) -> tuple[object, ...]:
        """A cheap fingerprint (mtime, size) that changes when either file is edited."""
        ...

    def read_texts(self) -> tuple[str, str]:
        """Both texts; raises ``MappingConfigError`` naming each unreadable file."""
        ...

    def save_skus(self, new_text: str, base_version: str, now: datetime) -> str | None:
        """Replace the SKU file, keeping the old one; the kept name, or None when unchanged.

        Raises ``EditConflict`` when the files are no longer at ``base_version``.
        """
        ...

    def put_back(self, kept: str) -> None:
        """Undo the save that kept ``kept`` (its audit entry could not be written): the kept text
        is the live file again and the kept copy is removed."""
        ...

    def history(self, limit: int = 30) -> list[HistoryEntry]:
        """Kept versions of the SKU file, newest first, each with its diff to the next."""
        ...
