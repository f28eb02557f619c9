"""A local TOP-style marketplace for demos, tests and benchmarks.

Start one in the current event loop::

    running = await start_sandbox()          # port 0: a free port
    client = TaobaoClient(http, url=running.router_url, app_key="sandbox-app",
                          app_secret="sandbox-secret", session_key="sandbox-session")
    ...
    await running.runner.cleanup()
"""

from __future__ import annotations

from adapters.taobao.sandbox.app import ROUTER_PATH, RunningSandbox, TaobaoSandbox, start_sandbox
from adapters.taobao.sandbox.book import NewLine, SandboxLine, SandboxTrade
from adapters.taobao.sandbox.controls import SandboxStats
from adapters.taobao.sandbox.knobs import ErrorRates, TaobaoKnobs

__all__ = [
    "ROUTER_PATH",
    "ErrorRates",
    "NewLine",
    "RunningSandbox",
    "SandboxLine",
    "SandboxStats",
    "SandboxTrade",
    "TaobaoKnobs",
    "TaobaoSandbox",
    "start_sandbox",
]
