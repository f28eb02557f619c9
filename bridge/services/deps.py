"""What every service function takes: its dependencies, passed explicitly (no globals).

Two objects, so that what may change is plain to see:

* ``Deps`` is frozen: settings, the store, the billing core, the shops, the
  mapping files, the clock (the database's: ``bridge.services.clock``), the
  random source, this process's lease owner and its metrics recorder
  (``bridge.services.metering.NoMetrics`` unless the daemon gives one), and
  the chat robot alerts are posted to (with ``[alerts] enabled``). Built once by
  ``bridge.wiring`` (or a test) and never reassigned.
* ``Runtime`` holds the little that changes while the daemon runs: the
  billing breaker, the live mapping set (written only by
  ``bridge.services.mappings``), the stop flag, the running job tasks and
  the health the jobs report (``bridge.services.health``) and the store figures'
  snapshot the console and ``/metrics`` serve (``bridge.services.console_figures``).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from bridge.ports import BillingPort, ChatRobotPort, MappingFilesPort, MetricsPort, StorefrontPort, StorePort
from bridge.ports.callbacks import CallbackPosterPort
from bridge.services.console_figures import FigureBook
from bridge.services.deadlines import MissedToday
from bridge.services.health import Health
from bridge.services.metering import LastCall, NoMetrics
from bridge.settings import Settings

if TYPE_CHECKING:
    from bridge.core.mapping import MappingSet


def utc_now() -> datetime:
    return datetime.now(UTC)


class Clock(Protocol):
    """The time the services decide by (``bridge.services.clock.DatabaseClock`` in a running bridge)."""

    def __call__(self) -> datetime: ...

    async def anchor(self) -> float:
        """Read the reference clock again; returns how far this host's wall clock is off it, in seconds."""
        ...


@dataclass
class Breaker:
    """Pauses provisioning while the billing core says it is closed or unreachable.

    An outage must not turn orders into exceptions or burn their retry budget:
    while open, no line is claimed; work resumes by itself after ``until``.
    Reading it never changes it: an expired pause simply reads as closed.
    """

    until: datetime | None = None
    reason: str = ""

    def open(self, until: datetime, reason: str) -> None:
        """Pause until ``until`` (a later pause extends it, an earlier one never shortens it)."""
        if self.until is None or until > self.until:
            self.until, self.reason = until, reason

    def is_open(self, now: datetime) -> bool:
        return self.until is not None and now < self.until

    def reason_at(self, now: datetime) -> str:
        """Why provisioning is paused at ``now``; empty when it is not."""
        return self.reason if self.is_open(now) else ""


@dataclass
class Runtime:
    """The daemon's changing state: breaker, live mappings, stop flag, job tasks, last billing call."""

    mappings: MappingSet
    breaker: Breaker = field(default_factory=Breaker)
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    running: set[asyncio.Task[Any]] = field(default_factory=set)
    last_billing_call: LastCall | None = None  # this instance's, for the dashboard
    mapping_writer: asyncio.Lock = field(default_factory=asyncio.Lock)  # a save or a reload at a time
    last_consume: LastCall | None = None  # this instance's last consume of push messages, likewise
    mappings_refused: str | None = None  # why the files' new set waits for a person (dashboard, health)
    mappings_pending: str | None = None  # that set's version: what a confirmation accepts
    health: Health = field(default_factory=Health)  # what the jobs met, for /healthz (services.health)
    figures: FigureBook = field(default_factory=FigureBook)  # the dashboard's and /metrics' snapshot
    missed_today: MissedToday = field(
        default_factory=MissedToday
    )  # each shop's, counted at most once a minute

    def billing_called(self, call: LastCall) -> None:
        self.last_billing_call = call

    def messages_consumed(self, call: LastCall) -> None:
        self.last_consume = call


@dataclass(frozen=True)
class Deps:
    settings: Settings
    store: StorePort
    billing: BillingPort
    shops: Mapping[str, StorefrontPort]
    mapping_files: MappingFilesPort
    owner: str
    runtime: Runtime
    clock: Clock
    rng: random.Random = field(default_factory=random.Random)
    metrics: MetricsPort = field(default_factory=NoMetrics)
    robot: ChatRobotPort | None = None  # where alerts are posted ([alerts] enabled)
    callbacks: CallbackPosterPort | None = None  # what channels' callbacks are POSTed through ([api] enabled)
