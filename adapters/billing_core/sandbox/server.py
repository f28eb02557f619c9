"""``BillingSandbox`` (state + knobs + credentials) and starting / stopping its server.

The demo runs the sandbox in the daemon's own event loop; tests start it on
port 0; the torture test kills it mid-request and starts a fresh one on the
same port from the same ledger file. All three go through
``start_billing_sandbox`` and the ``RunningSandbox`` handle it returns.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from aiohttp import web

from adapters.billing_core.sandbox.app import build_app
from adapters.billing_core.sandbox.journal import LedgerFile
from adapters.billing_core.sandbox.knobs import BillingKnobs
from adapters.billing_core.sandbox.records import SandboxError
from adapters.billing_core.sandbox.seed import (
    DEFAULT_CATALOGUE,
    DEFAULT_SEED,
    Population,
    load_catalogue,
    seed_accounts,
)
from adapters.billing_core.sandbox.state import SandboxState, now_cst
from bridge.core.models import CST, Product


class BillingSandbox:
    """A complete fake billing core: seeded subscribers, ledger, knobs, one API key."""

    def __init__(
        self,
        *,
        products: Sequence[Product] | Path = DEFAULT_CATALOGUE,
        seed: int = DEFAULT_SEED,
        population: Population | None = None,
        api_key: str = "sandbox-key",
        secret: str = "sandbox-secret",
        knobs: BillingKnobs | None = None,
        ledger_path: Path | None = None,
        clock: Callable[[], datetime] = now_cst,
    ) -> None:
        catalogue = load_catalogue(products) if isinstance(products, Path) else list(products)
        population = population or Population()
        accounts = seed_accounts(seed, population, catalogue, clock().astimezone(CST).date())
        header = {"seed": seed, "population": asdict(population)}
        self.ledger = LedgerFile(ledger_path, header) if ledger_path is not None else None
        journal = self.ledger.append if self.ledger is not None else None
        self.state = SandboxState(catalogue, accounts, clock=clock, journal=journal)
        if self.ledger is not None:
            self.state.restore(*self.ledger.load())
        self.knobs = knobs or BillingKnobs()
        self.api_key = api_key
        self.secret = secret
        self.rng = random.Random(seed)  # latency, injected errors and lost answers
        self.calls: Counter[tuple[str, str]] = Counter()  # (endpoint, status or "lost")
        self.in_flight: Counter[str] = Counter()  # by API key
        self.lost_answers = 0
        self._tasks: set[asyncio.Task[Any]] = set()

    def __repr__(self) -> str:  # never print the secret
        return f"BillingSandbox(api_key={self.api_key!r}, subscribers={len(self.state.accounts)})"

    def make_app(self) -> web.Application:
        return build_app(self)

    def set_knobs(self, **changes: Any) -> BillingKnobs:
        """Change some knobs at once (validated together); returns the new set."""
        self.knobs = BillingKnobs.model_validate({**self.knobs.model_dump(), **changes})
        return self.knobs

    @contextmanager
    def admit(self, api_key: str) -> Iterator[None]:
        """Hold one in-flight slot for ``api_key``, or refuse with 429 beyond the cap."""
        cap = self.knobs.max_in_flight
        if cap and self.in_flight[api_key] >= cap:
            raise SandboxError(429, "RATE_LIMITED", f"more than {cap} requests in flight", retry_after=1)
        task = asyncio.current_task()
        tasks = {task} if task is not None else set()
        self.in_flight[api_key] += 1
        self._tasks |= tasks
        try:
            yield
        finally:
            self.in_flight[api_key] -= 1
            self._tasks -= tasks

    async def drain(self, timeout_s: float) -> None:
        """Wait until no call is being handled, or ``timeout_s`` passed."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout_s)

    def cancel_in_flight(self) -> None:
        """Cut every call being handled (a crash): whatever was not applied yet never will be."""
        for task in list(self._tasks):
            task.cancel()

    def stats(self) -> dict[str, Any]:
        calls: dict[str, dict[str, int]] = {}
        for (endpoint, status), count in sorted(self.calls.items()):
            calls.setdefault(endpoint, {})[status] = count
        statuses = Counter(r.result.status for r in self.state.records.values())
        return {
            "calls": calls,
            "in_flight": dict(self.in_flight),
            "lost_answers": self.lost_answers,
            "operations": {"applied": statuses["applied"], "reversed": statuses["reversed"]},
            "authorization_refreshes": sum(self.state.refreshes.values()),
        }


@dataclass
class RunningSandbox:
    """A sandbox serving HTTP; ``stop()`` politely, ``kill()`` like a power cut."""

    sandbox: BillingSandbox
    runner: web.AppRunner
    base_url: str
    port: int

    async def stop(self, grace_s: float = 5.0) -> None:
        """Stop accepting, let calls in flight finish (up to ``grace_s``), then close."""
        await self.sandbox.drain(grace_s)
        await self.runner.cleanup()

    async def kill(self) -> None:
        """Abrupt stop: calls in flight are cut and get no answer; applied ones stay applied."""
        self.sandbox.cancel_in_flight()
        server = self.runner.server
        for connection in server.connections if server is not None else []:
            if connection.transport is not None:
                connection.transport.abort()
        await self.runner.cleanup()


async def start_billing_sandbox(
    sandbox: BillingSandbox, host: str = "127.0.0.1", port: int = 0
) -> RunningSandbox:
    """Serve ``sandbox`` on ``host:port`` (0 = any free port) in the running event loop."""
    runner = web.AppRunner(sandbox.make_app(), access_log=None, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except OSError:
        await runner.cleanup()
        raise
    bound = runner.addresses[0][1]
    return RunningSandbox(sandbox, runner, f"http://{host}:{bound}", bound)
