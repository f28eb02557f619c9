"""The Protocols of what lies outside the process: the marketplace, the billing core, the mapping files.

Each has one real implementation (``adapters/taobao``, ``adapters/billing_core``,
``bridge.store.MappingDir``) and the remote systems one sandbox each. Domain types
only: no aiohttp, no wire shapes cross these lines. Every method raises only the
errors of ``bridge.core.errors``.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import date, datetime
from typing import Protocol

from bridge.core.mapping.edit import HistoryEntry
from bridge.core.models import (
    DeliveryOutcome,
    MemoFlag,
    Operation,
    OperationResult,
    Product,
    Subscriber,
    Trade,
    TradeSummary,
)
from bridge.core.trades import NoteRules
from bridge.ports.storefront import PushSource


class MarketplacePort(Protocol):
    """One seller's shop on the marketplace (Taobao Open Platform style)."""

    notes: NoteRules
    """How long a seller memo may be (``set_memo`` keeps it)."""

    delivers_codes: bool
    """Whether ``deliver`` can hand card codes to the buyer (``StorefrontPort.delivers_codes``)."""

    push: PushSource | None
    """The shop's push of changed trades (its group the adapter's own configuration); ``None``:
    polling alone."""

    def list_pages(self, start: datetime, end: datetime) -> AsyncGenerator[list[TradeSummary], None]:
        """Every trade modified in ``[start, end]`` (inclusive, ≤ 1 day), a page at a time, each
        page handed out as soon as it is read (the next is not asked for before the caller is done
        with this one). A trade may come again in a later page (a re-read of the window); the
        caller keeps the last word (``needs_read``, ``bridge.services.listing``)."""
        ...

    async def get_trade(self, tid: str) -> Trade:
        """The full trade; raises ``Permanent`` when it does not exist or is malformed."""
        ...

    async def deliver(self, tid: str, codes: dict[str, list[str]] | None = None) -> DeliveryOutcome:
        """Virtual delivery; "already shipped" comes back as ``ALREADY_SHIPPED``."""
        ...

    async def set_memo(self, tid: str, memo: str, flag: MemoFlag) -> None:
        """Overwrite the seller memo (≤ 1000 UTF-8 bytes) and flag of a trade."""
        ...

    async def server_time(self) -> datetime:
        """The marketplace's clock."""
        ...


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
