"""The remote ports wrapped so that every call is counted and timed, and the recorder that records nothing.

``MeteredBilling`` and ``MeteredMarketplace`` (with its ``MeteredPush``) stand in
front of the real clients (``bridge.wiring`` puts them there) and record each call
under its port method's name and its outcome word (``bridge.core.outcomes``); the
services keep calling ``BillingPort`` and ``StorefrontPort`` as before. The
push's consume and confirm also record how many messages each consume handed out and how
many were confirmed: the marketplace offers no queue length
(``taobao.tmc.queue.get`` is not part of what the bridge calls), so the
backlog is read from these (full batches, consumed minus confirmed).
"""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TypeVar

from bridge.core.models import Operation, OperationResult, Product, Subscriber
from bridge.core.outcomes import outcome_of
from bridge.core.trades import DeliveryOutcome, ListingRules, PushBatch, Severity, Trade, TradeSummary
from bridge.ports import BillingPort, MetricsPort, PushSource, StorefrontPort

__all__ = ["LastCall", "MeteredBilling", "MeteredMarketplace", "MeteredPush", "NoMetrics"]

_T = TypeVar("_T")


async def _counted(metrics: MetricsPort, method: str, call: Awaitable[_T]) -> _T:
    """``call``, counted as a marketplace call by ``method`` and outcome."""
    try:
        result = await call
    except Exception as exc:  # counted and re-raised, nothing handled; a cancel is not counted
        metrics.marketplace_call(method, outcome_of(exc))
        raise
    metrics.marketplace_call(method, "ok")
    return result


class NoMetrics:
    """Records nothing: the one-shot commands' and the unit tests' recorder."""

    def billing_call(self, operation: str, outcome: str, seconds: float) -> None:
        return None

    def marketplace_call(self, method: str, outcome: str) -> None:
        return None

    def delivered(self, seconds: float) -> None:
        return None

    def messages_consumed(self, count: int) -> None:
        return None

    def messages_confirmed(self, count: int) -> None:
        return None

    def job_failed(self, job: str, kind: str) -> None:
        return None

    def rows_archived(self, kind: str, count: int) -> None:
        return None

    def deadline_missed(self, storefront: str) -> None:
        return None

    def callback_attempt(self, outcome: str) -> None:
        return None


@dataclass(frozen=True)
class LastCall:
    """This instance's latest call to the billing core: which, how it ended, how long it took, when."""

    operation: str
    outcome: str  # a word of bridge.core.outcomes.OUTCOMES
    seconds: float
    at: datetime
    items: int | None = None  # what it handed back, where that is a count (messages consumed)


class MeteredBilling:
    """The billing core's port, each call timed by operation and outcome, the latest told to ``noted``."""

    def __init__(
        self, inner: BillingPort, metrics: MetricsPort, noted: Callable[[LastCall], None] | None = None
    ) -> None:
        self._inner = inner
        self._metrics = metrics
        self._noted = noted

    def _record(self, operation: str, outcome: str, seconds: float) -> None:
        self._metrics.billing_call(operation, outcome, seconds)
        if self._noted is not None:
            self._noted(LastCall(operation, outcome, seconds, datetime.now(UTC)))

    async def _timed(self, operation: str, call: Awaitable[_T]) -> _T:
        started = time.monotonic()
        try:
            result = await call
        except Exception as exc:  # counted and re-raised, nothing handled; a cancel is not counted
            self._record(operation, outcome_of(exc), time.monotonic() - started)
            raise
        self._record(operation, "ok", time.monotonic() - started)
        return result

    async def products(self) -> list[Product]:
        return await self._timed("products", self._inner.products())

    async def subscriber(self, card_no: str) -> Subscriber:
        return await self._timed("subscriber", self._inner.subscriber(card_no))

    async def apply(self, operation: Operation) -> OperationResult:
        return await self._timed("apply", self._inner.apply(operation))

    async def find(self, request_id: str) -> OperationResult | None:
        return await self._timed("find", self._inner.find(request_id))

    async def list_operations(self, day: date) -> list[OperationResult] | None:
        return await self._timed("list_operations", self._inner.list_operations(day))

    async def reverse(self, request_id: str, reason: str) -> OperationResult:
        return await self._timed("reverse", self._inner.reverse(request_id, reason))

    async def refresh_authorization(self, card_no: str) -> None:
        await self._timed("refresh_authorization", self._inner.refresh_authorization(card_no))


class MeteredMarketplace:
    """One shop's marketplace port, each call counted by method and outcome; consumes told to ``noted``."""

    def __init__(
        self, inner: StorefrontPort, metrics: MetricsPort, noted: Callable[[LastCall], None] | None = None
    ) -> None:
        self._inner = inner
        self._metrics = metrics
        self.storefront = inner.storefront
        self.listing: ListingRules = inner.listing
        self.notes = inner.notes
        self.delivers_codes = inner.delivers_codes
        self.push: PushSource | None = None if inner.push is None else MeteredPush(inner.push, metrics, noted)

    async def _counted(self, method: str, call: Awaitable[_T]) -> _T:
        return await _counted(self._metrics, method, call)

    async def list_pages(self, start: datetime, end: datetime) -> AsyncGenerator[list[TradeSummary], None]:
        """Counted once per listing (the metric's method ``list_modified``, as the dashboards know it):
        ok once every page was read, or how it failed."""
        try:
            async for page in self._inner.list_pages(start, end):
                yield page
        except Exception as exc:  # counted and re-raised, nothing handled; a caller's early stop is not
            self._metrics.marketplace_call("list_modified", outcome_of(exc))
            raise
        self._metrics.marketplace_call("list_modified", "ok")

    async def get_trade(self, tid: str) -> Trade:
        return await self._counted("get_trade", self._inner.get_trade(tid))

    async def deliver(self, tid: str, codes: dict[str, list[str]] | None = None) -> DeliveryOutcome:
        # counted under the name the dashboards and the README know it by
        return await self._counted("mark_delivered", self._inner.deliver(tid, codes))

    async def annotate(self, tid: str, note: str, severity: Severity | None) -> None:
        # counted under the name the dashboards and the README know it by
        await self._counted("set_memo", self._inner.annotate(tid, note, severity))

    async def server_time(self) -> datetime:
        return await self._counted("server_time", self._inner.server_time())


class MeteredPush:
    """A shop's push source, each consume and confirm counted (as ``consume_messages`` and
    ``confirm_messages``); consumes told to ``noted`` for the dashboard."""

    def __init__(
        self, inner: PushSource, metrics: MetricsPort, noted: Callable[[LastCall], None] | None = None
    ) -> None:
        self._inner = inner
        self._metrics = metrics
        self._noted = noted

    async def consume(self, quantity: int) -> PushBatch:
        started = time.monotonic()
        try:
            batch = await _counted(self._metrics, "consume_messages", self._inner.consume(quantity))
        except Exception as exc:  # noted and re-raised, nothing handled; a cancel is not noted
            self._note(outcome_of(exc), time.monotonic() - started, None)
            raise
        self._note("ok", time.monotonic() - started, len(batch))
        self._metrics.messages_consumed(len(batch))
        return batch

    def _note(self, outcome: str, seconds: float, items: int | None) -> None:
        if self._noted is not None:
            self._noted(LastCall("consume_messages", outcome, seconds, datetime.now(UTC), items))

    async def confirm(self, message_ids: Sequence[str]) -> None:
        await _counted(self._metrics, "confirm_messages", self._inner.confirm(message_ids))
        self._metrics.messages_confirmed(len(message_ids))
