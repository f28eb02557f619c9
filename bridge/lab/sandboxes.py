"""The sandboxes running on localhost, and a bridge configuration pointing at them.

Three servers: the billing core's, Taobao's and Pinduoduo's; and a fourth, the
channel client's callback receiver (``bridge.lab.receiver``). Used by ``bridge
demo``, ``bridge torture``, the end-to-end and crash tests and the benchmark:
the same real HTTP path as production, with no accounts anywhere. A
configuration has the Taobao shop (``shop``, "main" by default) and, when asked
(``pdd_shop``), a Pinduoduo shop beside it; ``bridge.lab.channel.api_section``
opens the order API to the lab's channel client, its callbacks to the receiver.
"""

from __future__ import annotations

import asyncio
import random
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from adapters.billing_core.sandbox import BillingKnobs, BillingSandbox, RunningSandbox, start_billing_sandbox
from adapters.pinduoduo.sandbox import PddKnobs, PinduoduoSandbox
from adapters.pinduoduo.sandbox import RunningSandbox as RunningPdd
from adapters.pinduoduo.sandbox import start_sandbox as start_pdd_sandbox
from adapters.taobao.sandbox.app import RunningSandbox as RunningMarket
from adapters.taobao.sandbox.app import TaobaoSandbox, start_sandbox
from adapters.taobao.sandbox.knobs import TaobaoKnobs
from bridge.lab import DEMO_MAPPINGS
from bridge.lab.channel import CHANNEL, CHANNEL_KEY_ID, CHANNEL_SECRET_ENV
from bridge.lab.order_kinds import Storefront
from bridge.lab.receiver import CallbackReceiver, ReceiverKnobs, RunningReceiver, receiving
from bridge.settings import Settings, settings_from_dict


@dataclass(frozen=True)
class Credentials:
    """The secrets the sandboxes check; ``random()`` makes ones no test or log could guess."""

    billing_secret: str = "sandbox-secret"
    app_secret: str = "sandbox-secret"
    session_key: str = "sandbox-session"
    pdd_client_secret: str = "sandbox-secret"
    pdd_access_token: str = "sandbox-token"
    api_secret: str = "sandbox-api-secret"  # the channel client's: its requests and its callbacks

    @classmethod
    def random(cls) -> Credentials:
        return cls(
            billing_secret=f"bsec-{secrets.token_hex(16)}",
            app_secret=f"asec-{secrets.token_hex(16)}",
            session_key=f"sess-{secrets.token_hex(16)}",
            pdd_client_secret=f"psec-{secrets.token_hex(16)}",
            pdd_access_token=f"ptok-{secrets.token_hex(16)}",
            api_secret=f"hsec-{secrets.token_hex(16)}",
        )

    def all(self) -> list[str]:
        """Every secret, for a test that looks for them in logs."""
        return [
            self.billing_secret,
            self.app_secret,
            self.session_key,
            self.pdd_client_secret,
            self.pdd_access_token,
            self.api_secret,
        ]


PDD_LOGISTICS_ID = 9999
"""The carrier id the lab's Pinduoduo shop names for virtual deliveries (the sandbox takes any)."""


@dataclass
class Sandboxes:
    market: RunningMarket
    billing: RunningSandbox
    pdd: RunningPdd
    receiver: RunningReceiver
    api_secret: str
    seed: int = 7
    ledger_path: Path | None = None
    billing_history: list[dict[str, Any]] = field(default_factory=list)
    """Stats of billing-sandbox incarnations stopped by ``restart_billing``, oldest first."""

    @property
    def market_url(self) -> str:
        return self.market.url

    @property
    def billing_url(self) -> str:
        return self.billing.base_url

    @property
    def pdd_url(self) -> str:
        """The Pinduoduo sandbox's base URL (its control endpoints are under ``/sandbox/``)."""
        return self.pdd.url

    @property
    def storefront_urls(self) -> dict[Storefront, str]:
        """Each storefront's sandbox base URL: where its orders are placed and its records read."""
        return {"taobao": self.market_url, "pinduoduo": self.pdd_url}

    def env(self) -> dict[str, str]:
        """The secrets a bridge needs, as the environment variables its configuration names."""
        pdd = self.pdd.sandbox.credentials
        return {
            "BRIDGE_BILLING_SECRET": self.billing.sandbox.secret,
            "BRIDGE_SHOP_APP_SECRET": self.market.sandbox.app_secret,
            "BRIDGE_SHOP_SESSION": self.market.sandbox.session_key,
            "BRIDGE_PDD_CLIENT_SECRET": pdd.client_secret,
            "BRIDGE_PDD_ACCESS_TOKEN": pdd.access_token,
            CHANNEL_SECRET_ENV: self.api_secret,
        }

    async def restart_billing(self, down_s: float = 0.0) -> None:
        """Kill the billing sandbox like a power cut and start a fresh one on the same port.

        Calls in flight get no answer; what was applied survives through the
        ledger file (without one, the new sandbox starts empty: tests only).
        The knobs carry over; ``down_s`` is how long nothing listens.
        """
        old = self.billing
        self.billing_history.append(old.sandbox.stats())
        await old.kill()
        if down_s > 0:
            await asyncio.sleep(down_s)
        fresh = BillingSandbox(
            seed=self.seed,
            knobs=old.sandbox.knobs.model_copy(),
            ledger_path=self.ledger_path,
            api_key=old.sandbox.api_key,
            secret=old.sandbox.secret,
        )
        self.billing = await start_billing_sandbox(fresh, port=old.port)


@asynccontextmanager
async def running_sandboxes(
    *,
    seed: int = 7,
    market_knobs: TaobaoKnobs | None = None,
    billing_knobs: BillingKnobs | None = None,
    ledger_path: Path | None = None,
    credentials: Credentials | None = None,
    market_sandbox: TaobaoSandbox | None = None,
    pdd_knobs: PddKnobs | None = None,
    receiver_knobs: ReceiverKnobs | None = None,
) -> AsyncIterator[Sandboxes]:
    """The three sandboxes and the callback receiver on free ports; ``market_sandbox`` replaces Taobao's
    (e.g. a hostile one)."""
    creds = credentials or Credentials()
    # the bridge names the client by its key id (or, were it to, by its name): the same secret either way
    by_key = {CHANNEL_KEY_ID: creds.api_secret, CHANNEL: creds.api_secret}
    receiver = CallbackReceiver(by_key, receiver_knobs or ReceiverKnobs(), random.Random(seed * 17 + 3))
    async with (
        receiving(receiver) as running,
        _marketplaces(seed, creds, market_knobs, billing_knobs, ledger_path, market_sandbox, pdd_knobs) as (
            market,
            pdd,
            billing,
        ),
    ):
        sb = Sandboxes(market, billing, pdd, running, creds.api_secret, seed=seed, ledger_path=ledger_path)
        try:
            yield sb
        finally:
            await sb.billing.stop(grace_s=1.0)  # the current incarnation, after any restart


@asynccontextmanager
async def _marketplaces(
    seed: int,
    creds: Credentials,
    market_knobs: TaobaoKnobs | None,
    billing_knobs: BillingKnobs | None,
    ledger_path: Path | None,
    market_sandbox: TaobaoSandbox | None,
    pdd_knobs: PddKnobs | None,
) -> AsyncIterator[tuple[RunningMarket, RunningPdd, RunningSandbox]]:
    """Taobao's, Pinduoduo's and the billing core's sandboxes (the billing core stopped by the caller)."""
    market = await start_sandbox(
        sandbox=market_sandbox
        or TaobaoSandbox(
            knobs=market_knobs,
            rng=random.Random(seed),
            app_secret=creds.app_secret,
            session_key=creds.session_key,
        )
    )
    try:
        pdd = await start_pdd_sandbox(sandbox=_pdd_sandbox(seed, creds, pdd_knobs))
        try:
            billing = await start_billing_sandbox(
                BillingSandbox(
                    seed=seed, knobs=billing_knobs, ledger_path=ledger_path, secret=creds.billing_secret
                )
            )
            yield market, pdd, billing
        finally:
            await pdd.runner.cleanup()
    finally:
        await market.runner.cleanup()


def _pdd_sandbox(seed: int, creds: Credentials, knobs: PddKnobs | None) -> PinduoduoSandbox:
    return PinduoduoSandbox(
        client_secret=creds.pdd_client_secret,
        access_token=creds.pdd_access_token,
        knobs=knobs,
        rng=random.Random(seed * 31 + 1),  # its own stream: Taobao's draws stay what they were
    )


OLD_BILLING_CORE = BillingKnobs(dedupe=False, slow_apply_rate=0.05, slow_apply_s=4.5)
"""An older billing core under load: a repeated request_id is applied again, and 5 % of applies
land 4.5 s after the request, past the bridge's billing timeout (3 s in ``bridge_config``) but
within its settle time (6 s): exactly once must still hold."""


def bridge_config(
    sb: Sandboxes, workdir: Path, *, shop: str = "main", **sections: dict[str, Any]
) -> dict[str, Any]:
    """A configuration (as a dict) for a bridge on ``sb``: fast intervals suited to a demo or test.

    The Taobao shop is ``shop``; a section's keys are merged into the generated one's, so
    ``shops={"pdd": pdd_shop_config(sb)}`` adds a Pinduoduo shop beside it.
    """
    config: dict[str, Any] = {
        "instance": "demo",
        "database": f"sqlite+aiosqlite:///{workdir / 'bridge.sqlite'}",
        "mappings_dir": str(DEMO_MAPPINGS),
        "listen": "127.0.0.1:0",
        "mapping_reload_s": 1.0,
        "sweep_interval_s": 5.0,
        "shutdown_grace_s": 5.0,
        "billing": {"base_url": sb.billing_url, "api_key": sb.billing.sandbox.api_key, "timeout_s": 3.0},
        "shops": {
            shop: {
                "url": sb.market.router_url,
                "app_key": sb.market.sandbox.app_key,
                "sign_method": "hmac-sha256",
                "timeout_s": 5.0,
            }
        },
        "push": {"enabled": True},
        "polling": {"interval_s": 1.0, "overlap_s": 60, "initial_lookback_s": 600},
        "fulfilment": {
            "interval_s": 0.2,
            "max_in_flight": 16,
            "lease_s": 10.0,
            "backoff_base_s": 0.5,
            "backoff_max_s": 5.0,
            "settle_s": 6.0,
        },
        "writeback": {"interval_s": 0.3, "backoff_base_s": 0.5, "backoff_max_s": 5.0},
    }
    for name, values in sections.items():
        if isinstance(config.get(name), dict):
            config[name] = {**config[name], **values}
        else:
            config[name] = values
    return config


def pdd_shop_config(sb: Sandboxes) -> dict[str, Any]:
    """A ``[shops.NAME]`` table for a Pinduoduo shop on ``sb``'s Pinduoduo sandbox."""
    return {
        "storefront": "pinduoduo",
        "url": sb.pdd.router_url,
        "client_id": sb.pdd.sandbox.credentials.client_id,
        "logistics_id": PDD_LOGISTICS_ID,
        "timeout_s": 5.0,
    }


def bridge_settings(
    sb: Sandboxes, workdir: Path, *, shop: str = "main", **sections: dict[str, Any]
) -> Settings:
    return settings_from_dict(
        bridge_config(sb, workdir, shop=shop, **sections), sb.env(), source="<generated>"
    )


def to_toml(config: dict[str, Any]) -> str:
    """Write a configuration dict (scalars, lists and nested tables) as TOML."""
    out: list[str] = []

    def value(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, (int, float)):
            return repr(v)
        if isinstance(v, (list, tuple)):
            return "[" + ", ".join(value(x) for x in v) + "]"
        text = str(v).replace("\\", "\\\\").replace('"', '\\"')
        return f'"{text}"'

    def table(prefix: str, data: dict[str, Any]) -> None:
        scalars = {k: v for k, v in data.items() if not isinstance(v, dict)}
        if prefix and scalars:
            out.append(f"\n[{prefix}]")
        out.extend(f"{k} = {value(v)}" for k, v in scalars.items())
        for k, v in data.items():
            if isinstance(v, dict):
                table(f"{prefix}.{k}" if prefix else k, v)

    table("", config)
    return "\n".join(out) + "\n"
