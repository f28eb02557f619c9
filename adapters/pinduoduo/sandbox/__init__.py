"""A local Pinduoduo-style platform for demos, tests and benchmarks.

Start one in the current event loop::

    running = await start_sandbox()          # port 0: a free port
    client = PinduoduoClient(http, url=running.router_url, client_id="sandbox-client",
                             client_secret="sandbox-secret", access_token="sandbox-token",
                             logistics_id=VIRTUAL_LOGISTICS_ID)
    ...
    await running.runner.cleanup()
"""

from __future__ import annotations

from adapters.pinduoduo.sandbox.app import (
    ROUTER_PATH,
    VIRTUAL_LOGISTICS_ID,
    PinduoduoSandbox,
    RunningSandbox,
    start_sandbox,
)
from adapters.pinduoduo.sandbox.book import NewItem, SandboxOrder
from adapters.pinduoduo.sandbox.controls import SandboxStats
from adapters.pinduoduo.sandbox.knobs import ErrorRates, PddKnobs

__all__ = [
    "ROUTER_PATH",
    "VIRTUAL_LOGISTICS_ID",
    "ErrorRates",
    "NewItem",
    "PddKnobs",
    "PinduoduoSandbox",
    "RunningSandbox",
    "SandboxOrder",
    "SandboxStats",
    "start_sandbox",
]
