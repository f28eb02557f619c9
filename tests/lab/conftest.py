"""A bridge wired to both sandboxes over real HTTP, in this process, its services called directly.

``Rig`` gives the tests what a shopper and an operator see: place an order,
read the billing ledger and the sandboxes' stats, and run one pass of every
job in the daemon's order (burst mode). The bridge's clock can be moved
forward without sleeping, so backoff, leases and the breaker are exercised
deterministically.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bridge.lab.daemon_process import DaemonProcess, free_port
from bridge.lab.sandboxes import Sandboxes, bridge_config, to_toml
from bridge.store import SqlStore, open_store


@dataclass
class Daemon:
    """A ``bridge run`` process on the sandboxes, and its store read from this process."""

    process: DaemonProcess
    store: SqlStore
    config: dict[str, Any]

    @property
    def log(self) -> Path:
        return self.process.log_path


@asynccontextmanager
async def running_daemon(
    sb: Sandboxes, workdir: Path, *, log_level: str = "info", **sections: Any
) -> AsyncIterator[Daemon]:
    """Start the daemon on ``sb`` and wait until it answers; always stopped and reaped."""
    port = free_port()
    config = bridge_config(sb, workdir, **sections)
    config.update(listen=f"127.0.0.1:{port}", log_level=log_level, log_format="json")
    path = workdir / "bridge.toml"
    path.write_text(to_toml(config), encoding="utf-8")
    process = DaemonProcess(path, sb.env(), workdir / "bridge.log", f"http://127.0.0.1:{port}/healthz")
    store = await open_store(str(config["database"]))
    try:
        await process.start()
        await process.wait_ready()
        yield Daemon(process, store, config)
    finally:
        try:
            await process.close(grace_s=15.0)
        finally:
            await store.close()


async def wait_for(check: Callable[[], Awaitable[bool]], timeout_s: float, what: str) -> None:
    """Poll ``check`` until it holds; fail naming ``what`` after ``timeout_s`` (a hang, not a speed)."""
    deadline = time.monotonic() + timeout_s
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        await asyncio.sleep(0.1)
