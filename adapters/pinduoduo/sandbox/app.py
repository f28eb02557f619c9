"""``PinduoduoSandbox``: a local platform that speaks the Pinduoduo gateway protocol.

It assembles the credentials, the book of orders and the controls (knobs,
random streams, counters), and builds a real aiohttp application
(``make_app``) from them that runs in the caller's own event loop;
``start_sandbox`` binds it to a free port. The platform's clock is the given
clock (real GMT+8 time by default) plus the ``clock_skew_s`` knob. Given a
``random.Random(seed)``, it is deterministic: order numbers, injected faults,
latency and page mischief each draw from their own stream.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from aiohttp import web

from adapters.pinduoduo.sandbox.book import NewItem, OrderBook, SandboxOrder
from adapters.pinduoduo.sandbox.controls import Controls, SandboxStats
from adapters.pinduoduo.sandbox.gateway import Credentials, Gateway
from adapters.pinduoduo.sandbox.knobs import PddKnobs
from adapters.pinduoduo.sandbox.shopper import ControlRoutes
from adapters.serving import serve_app
from bridge.core.models import CST

ROUTER_PATH = "/api/router"
VIRTUAL_LOGISTICS_ID = 9999
"""A logistics company id for virtual delivery in the sandbox (any positive id is accepted)."""


def _real_clock() -> datetime:
    return datetime.now(CST)


class PinduoduoSandbox:
    """One sandbox shop: its credentials, its orders and its controls, and the app serving them."""

    def __init__(
        self,
        *,
        client_id: str = "sandbox-client",
        client_secret: str = "sandbox-secret",
        access_token: str = "sandbox-token",
        knobs: PddKnobs | None = None,
        rng: random.Random | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.credentials = Credentials(client_id, client_secret, access_token)
        seeds = rng or random.Random()
        self._base_clock = clock or _real_clock
        self.controls = Controls(
            knobs or PddKnobs(),
            faults_rng=random.Random(seeds.getrandbits(64)),
            latency_rng=random.Random(seeds.getrandbits(64)),
        )
        self.book = OrderBook(self.now, random.Random(seeds.getrandbits(64)))

    def __repr__(self) -> str:  # never show the secret or the token
        return (
            f"PinduoduoSandbox(client_id={self.credentials.client_id!r}, orders={sum(1 for _ in self.book)})"
        )

    def now(self) -> datetime:
        """The platform's clock: the base clock plus the skew knob."""
        return self._base_clock() + timedelta(seconds=self.controls.knobs.clock_skew_s)

    @property
    def knobs(self) -> PddKnobs:
        return self.controls.knobs

    @property
    def stats(self) -> SandboxStats:
        return self.controls.stats

    def update_knobs(self, **changes: Any) -> PddKnobs:
        """Apply a partial update; raises ``pydantic.ValidationError`` and changes nothing if bad."""
        return self.controls.update(**changes)

    def place(
        self,
        items: list[NewItem],
        *,
        account: str | None = None,
        phone: str | None = None,
        memo: str | None = None,
        pay: bool = True,
    ) -> SandboxOrder:
        """A new order (paid by default), as ``POST /sandbox/orders`` makes."""
        order = self.book.place(items, account=account, phone=phone, memo=memo)
        return self.book.pay(order.order_sn) if pay else order

    def make_app(self) -> web.Application:
        app = web.Application()
        app.router.add_post(ROUTER_PATH, Gateway(self.credentials, self.book, self.controls).handle)
        app.router.add_routes(ControlRoutes(self.book, self.controls).routes())
        return app


class RunningSandbox(NamedTuple):
    """A started sandbox: its state, its runner (call ``cleanup``) and its base URL."""

    sandbox: PinduoduoSandbox
    runner: web.AppRunner
    url: str

    @property
    def router_url(self) -> str:
        """The ``url`` to give ``PinduoduoClient``."""
        return self.url + ROUTER_PATH


async def start_sandbox(
    host: str = "127.0.0.1", port: int = 0, *, sandbox: PinduoduoSandbox | None = None
) -> RunningSandbox:
    """Serve ``sandbox`` (a fresh one by default) in this event loop; port 0 picks a free port."""
    sandbox = sandbox or PinduoduoSandbox()
    served = await serve_app(sandbox.make_app(), host, port)
    return RunningSandbox(sandbox, served.runner, served.url)
