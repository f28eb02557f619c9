"""``TaobaoSandbox``: a local marketplace that speaks the TOP router protocol.

It assembles the credentials, the book of trades and the controls (knobs,
random streams, counters), and builds a real aiohttp application
(``make_app``) from them that can run in the caller's own event loop;
``start_sandbox`` binds it to a free port and returns its base URL. Given a
``random.Random(seed)`` (and a clock), it is deterministic: ids, injected
faults, latency and page shifts each draw from their own stream derived from
the seed.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime
from typing import Any, NamedTuple

from aiohttp import web

from adapters.serving import serve_app
from adapters.taobao.sandbox.board import MessageBoard
from adapters.taobao.sandbox.book import NewLine, SandboxTrade, TradeBook
from adapters.taobao.sandbox.bulk import bulk_routes
from adapters.taobao.sandbox.controls import Controls, SandboxStats
from adapters.taobao.sandbox.gateway import Credentials, Gateway
from adapters.taobao.sandbox.knobs import TaobaoKnobs
from adapters.taobao.sandbox.methods import shift
from adapters.taobao.sandbox.shopper import ShopperRoutes
from bridge.core.models import CST

ROUTER_PATH = "/router/rest"


def _real_clock() -> datetime:
    return datetime.now(CST)


class TaobaoSandbox:
    """One sandbox shop: its credentials, its trades and its controls, and the app serving them.

    ``credentials``, ``book`` and ``controls`` are the parts the routes take;
    the other attributes read and steer them.
    """

    def __init__(
        self,
        *,
        app_key: str = "sandbox-app",
        app_secret: str = "sandbox-secret",
        session_key: str = "sandbox-session",
        knobs: TaobaoKnobs | None = None,
        rng: random.Random | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.credentials = Credentials(app_key, app_secret, session_key)
        seed_source = rng or random.Random()
        self.now: Callable[[], datetime] = clock or _real_clock
        self.book = TradeBook(self.now, random.Random(seed_source.getrandbits(64)))
        self.controls = Controls(
            knobs or TaobaoKnobs(),
            faults_rng=random.Random(seed_source.getrandbits(64)),
            latency_rng=random.Random(seed_source.getrandbits(64)),
        )

    def __repr__(self) -> str:  # never show the secret or the session key
        return f"TaobaoSandbox(app_key={self.app_key!r}, trades={sum(1 for _ in self.book)})"

    @property
    def app_key(self) -> str:
        return self.credentials.app_key

    @property
    def app_secret(self) -> str:
        return self.credentials.app_secret

    @property
    def session_key(self) -> str:
        return self.credentials.session_key

    @property
    def knobs(self) -> TaobaoKnobs:
        return self.controls.knobs

    @knobs.setter
    def knobs(self, knobs: TaobaoKnobs) -> None:
        self.controls.knobs = knobs

    @property
    def stats(self) -> SandboxStats:
        return self.controls.stats

    @property
    def faults_rng(self) -> random.Random:
        """Injected faults and page shifts."""
        return self.controls.faults_rng

    @property
    def latency_rng(self) -> random.Random:
        return self.controls.latency_rng

    @property
    def messages(self) -> MessageBoard:
        """The message service's queues (TMC), one per group."""
        return self.book.messages

    def update_knobs(self, **changes: Any) -> TaobaoKnobs:
        """Apply a partial update; raises ``pydantic.ValidationError`` and changes nothing if bad."""
        return self.controls.update(**changes)

    def create_trade(
        self, buyer_nick: str, lines: list[NewLine], *, buyer_message: str | None = None, type_: str = "fixed"
    ) -> SandboxTrade:
        """A new unpaid trade (WAIT_BUYER_PAY), as ``POST /sandbox/trades`` makes."""
        return self.book.create(buyer_nick, buyer_message, type_, lines)

    def shift(self, tid: int) -> None:
        """Bump one trade's ``modified`` as a busy shop would (the ``shift_pages`` knob)."""
        shift(self.book, self.controls, tid)

    def make_app(self) -> web.Application:
        app = web.Application()
        app.router.add_post(ROUTER_PATH, Gateway(self.credentials, self.book, self.controls).handle)
        app.router.add_routes(ShopperRoutes(self.book, self.controls).routes())
        app.router.add_routes(bulk_routes(self.book))
        return app


class RunningSandbox(NamedTuple):
    """A started sandbox: its state, its runner (call ``cleanup``) and its base URL."""

    sandbox: TaobaoSandbox
    runner: web.AppRunner
    url: str

    @property
    def router_url(self) -> str:
        """The ``url`` to give ``TaobaoClient``."""
        return self.url + ROUTER_PATH


async def start_sandbox(
    host: str = "127.0.0.1", port: int = 0, *, sandbox: TaobaoSandbox | None = None
) -> RunningSandbox:
    """Serve ``sandbox`` (a fresh one by default) in this event loop; port 0 picks a free port."""
    sandbox = sandbox or TaobaoSandbox()
    served = await serve_app(sandbox.make_app(), host, port)
    return RunningSandbox(sandbox, served.runner, served.url)
