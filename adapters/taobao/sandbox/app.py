"""``TaobaoSandbox``: a local marketplace that speaks the TOP router protocol.

It holds the credentials, the trades, the knobs and the counters, and builds
a real aiohttp application (``make_app``) that can run in the caller's own
event loop; ``start_sandbox`` binds it to a free port and returns its base
URL. Given a ``random.Random(seed)`` (and a clock), it is deterministic: ids,
injected faults, latency and page shifts each draw from their own stream
derived from the seed.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from aiohttp import web

from adapters.taobao.sandbox.book import NewLine, SandboxTrade, TradeBook
from adapters.taobao.sandbox.gateway import Gateway
from adapters.taobao.sandbox.knobs import TaobaoKnobs
from adapters.taobao.sandbox.shopper import ShopperRoutes
from bridge.core.models import CST

ROUTER_PATH = "/router/rest"


def _real_clock() -> datetime:
    return datetime.now(CST)


@dataclass
class SandboxStats:
    """Counters for ``GET /sandbox/stats``."""

    calls: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    errors_injected: Counter[str] = field(default_factory=Counter)
    rate_limited: int = 0
    pages_shifted: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "calls": dict(self.calls),
            "errors": dict(self.errors),
            "errors_injected": {k: self.errors_injected[k] for k in ("isp", "call_limit", "session")},
            "rate_limited": self.rate_limited,
            "pages_shifted": self.pages_shifted,
        }


class TaobaoSandbox:
    """State, knobs and credentials of one sandbox shop."""

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
        self.app_key = app_key
        self.app_secret = app_secret
        self.session_key = session_key
        self.knobs = knobs or TaobaoKnobs()
        seed_source = rng or random.Random()
        self.now: Callable[[], datetime] = clock or _real_clock
        self.book = TradeBook(self.now, random.Random(seed_source.getrandbits(64)))
        self.faults_rng = random.Random(seed_source.getrandbits(64))
        self.latency_rng = random.Random(seed_source.getrandbits(64))
        self.stats = SandboxStats()

    def __repr__(self) -> str:  # never show the secret or the session key
        return f"TaobaoSandbox(app_key={self.app_key!r}, trades={sum(1 for _ in self.book)})"

    def update_knobs(self, **changes: Any) -> TaobaoKnobs:
        """Apply a partial update; raises ``pydantic.ValidationError`` and changes nothing if bad."""
        self.knobs = self.knobs.updated(changes)
        return self.knobs

    def create_trade(
        self, buyer_nick: str, lines: list[NewLine], *, buyer_message: str | None = None, type_: str = "fixed"
    ) -> SandboxTrade:
        """A new unpaid trade (WAIT_BUYER_PAY), as ``POST /sandbox/trades`` makes."""
        return self.book.create(buyer_nick, buyer_message, type_, lines)

    def shift(self, tid: int) -> None:
        """Bump one trade's ``modified`` as a busy shop would (the ``shift_pages`` knob)."""
        self.book.changed(self.book.get(tid))
        self.stats.pages_shifted += 1

    def make_app(self) -> web.Application:
        app = web.Application()
        app.router.add_post(ROUTER_PATH, Gateway(self).handle)
        app.router.add_routes(ShopperRoutes(self).routes())
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
    runner = web.AppRunner(sandbox.make_app(), access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound_host, bound_port = runner.addresses[0][:2]
    except BaseException:
        await runner.cleanup()
        raise
    shown = f"[{bound_host}]" if ":" in str(bound_host) else str(bound_host)
    return RunningSandbox(sandbox, runner, f"http://{shown}:{bound_port}")
