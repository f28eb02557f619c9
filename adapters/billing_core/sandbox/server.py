"""``BillingSandbox`` (state + traffic + credentials) and starting / stopping its server.

The demo runs the sandbox in the daemon's own event loop; tests start it on
port 0; the torture test kills it mid-request and starts a fresh one on the
same port from the same ledger file. All three go through
``start_billing_sandbox`` and the ``RunningSandbox`` handle it returns.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from aiohttp import web

from adapters.billing_core.sandbox import admin
from adapters.billing_core.sandbox.app import build_app
from adapters.billing_core.sandbox.journal import LedgerFile
from adapters.billing_core.sandbox.knobs import BillingKnobs
from adapters.billing_core.sandbox.routing import Credentials
from adapters.billing_core.sandbox.seed import (
    DEFAULT_CATALOGUE,
    DEFAULT_SEED,
    Population,
    load_catalogue,
    seed_accounts,
)
from adapters.billing_core.sandbox.state import SandboxState, now_cst
from adapters.billing_core.sandbox.traffic import Traffic
from adapters.serving import serve_app
from bridge.core.models import CST, Product


class BillingSandbox:
    """A complete fake billing core: seeded subscribers, ledger, knobs, one API key.

    Assembles the parts the routes use: ``state`` (accounts and ledger, with
    the interface's rules), ``traffic`` (the knobs and what they do to calls in
    flight) and ``credentials``; the attributes below read and steer them.
    """

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
        self.traffic = Traffic(knobs or BillingKnobs(), seed)
        self.credentials = Credentials(api_key, secret)

    def __repr__(self) -> str:  # never print the secret
        return f"BillingSandbox(api_key={self.api_key!r}, subscribers={len(self.state.accounts)})"

    @property
    def api_key(self) -> str:
        return self.credentials.api_key

    @property
    def secret(self) -> str:
        return self.credentials.secret

    @property
    def knobs(self) -> BillingKnobs:
        """The knobs in force; change a field in place, or replace them all."""
        return self.traffic.knobs

    @knobs.setter
    def knobs(self, knobs: BillingKnobs) -> None:
        self.traffic.knobs = knobs

    @property
    def calls(self) -> Counter[tuple[str, str]]:
        """/v1 calls by (endpoint, status or "lost")."""
        return self.traffic.calls

    @property
    def in_flight(self) -> Counter[str]:
        """/v1 calls being handled, by API key."""
        return self.traffic.in_flight

    @property
    def lost_answers(self) -> int:
        return self.traffic.lost_answers

    def make_app(self) -> web.Application:
        return build_app(self.state, self.traffic, self.credentials)

    def set_knobs(self, **changes: Any) -> BillingKnobs:
        """Change some knobs at once (validated together); returns the new set."""
        return self.traffic.set_knobs(**changes)

    async def drain(self, timeout_s: float) -> None:
        """Wait until no call is being handled, or ``timeout_s`` passed."""
        await self.traffic.drain(timeout_s)

    def cancel_in_flight(self) -> None:
        """Cut every call being handled (a crash): whatever was not applied yet never will be."""
        self.traffic.cancel_in_flight()

    def stats(self) -> dict[str, Any]:
        """What ``GET /sandbox/stats`` answers."""
        return admin.stats(self.state, self.traffic)


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
    served = await serve_app(sandbox.make_app(), host, port, shutdown_timeout=0.1)
    return RunningSandbox(sandbox, served.runner, served.url, served.port)
