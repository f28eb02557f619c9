"""Serving a sandbox's aiohttp application on a TCP port in the running event loop.

The three sandboxes (billing core, Taobao, Pinduoduo) are independent
implementations of their protocols and share nothing of them; what they do
share is how an app is put on a port: a runner without an access log, port 0
for any free port, the runner cleaned up when the port cannot be bound, and
the base URL of the address actually bound (an IPv6 host in brackets).
"""

from __future__ import annotations

from typing import NamedTuple

from aiohttp import web


class Served(NamedTuple):
    """An app being served: its runner (call ``cleanup`` to stop), its base URL and its port."""

    runner: web.AppRunner
    url: str
    port: int


async def serve_app(
    app: web.Application, host: str = "127.0.0.1", port: int = 0, *, shutdown_timeout: float = 60.0
) -> Served:
    """Serve ``app`` on ``host:port`` (0: any free port); nothing is left running when it cannot be."""
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=shutdown_timeout)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound_host, bound_port = runner.addresses[0][:2]
    except BaseException:
        await runner.cleanup()
        raise
    shown = f"[{bound_host}]" if ":" in str(bound_host) else str(bound_host)
    return Served(runner, f"http://{shown}:{bound_port}", int(bound_port))
