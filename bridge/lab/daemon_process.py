"""The daemon as a separate operating-system process, for crash tests and the torture run.

A crash test is only honest when the bridge dies the way a real one does: a
SIGKILL leaves no ``finally`` and no flushed buffer, only what SQLite
committed. This handle starts ``python -m bridge.cli.main run --config PATH`` with
the secrets in its environment and its stdout/stderr appended to one log
file, and kills, stops or restarts it. Everything it starts it also reaps
(``close``), so a test can stop it in a ``finally`` whatever happened.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import socket
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import aiohttp

_PORT_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
_LOWEST = 10_000


def ephemeral_ports() -> range:
    """The ports the system hands to outgoing connections (Linux's setting; its default elsewhere)."""
    try:
        low, high = (int(p) for p in _PORT_RANGE.read_text().split())
    except (OSError, ValueError):
        low, high = 32768, 60999
    return range(low, high + 1)


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on right now, below the system's ephemeral ports.

    A daemon restarted after a kill binds its addresses again; a port from the ephemeral range may
    meanwhile be the local end of any outgoing connection (a database session, a callback), and the
    restart would fail with "address already in use". Ports below that range are never handed out
    that way.
    """
    below = range(_LOWEST, ephemeral_ports().start)
    for port in random.sample(below, min(200, len(below))):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind((host, port))
            except OSError:
                continue
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:  # none free below: any port
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class DaemonProcess:
    """One ``bridge run`` process at a time: start, kill -9, SIGTERM, restart, reap."""

    def __init__(
        self,
        config_path: Path,
        env: Mapping[str, str],
        log_path: Path,
        health_url: str | None = None,
        *,
        module: str = "bridge.cli.main",
    ) -> None:
        self.config_path = config_path
        self.module = module  # what ``python -m`` runs: the bridge's CLI, or a launcher wrapping it
        self.log_path = log_path
        self.health_url = health_url
        self._env = {**os.environ, **env}
        self._proc: asyncio.subprocess.Process | None = None
        self.starts = 0
        self.kills = 0
        self.unexpected_exits: list[int] = []

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.returncode is None

    async def start(self) -> None:
        """Start the daemon (any previous process must have exited)."""
        if self.running:
            raise RuntimeError("the daemon is already running")
        with self.log_path.open("ab") as log:
            log.write(f"\n--- start {self.starts + 1} at {time.strftime('%H:%M:%S')} ---\n".encode())
            log.flush()
            self._proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                self.module,
                "run",
                "--config",
                str(self.config_path),
                env=self._env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )
        self.starts += 1

    async def kill(self) -> None:
        """SIGKILL, as a power cut or the OOM killer would; returns once the process is gone."""
        proc = self._proc
        if proc is None or proc.returncode is not None:
            return
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
        self.kills += 1

    async def terminate(self, timeout_s: float) -> int | None:
        """SIGTERM and wait up to ``timeout_s``; the exit code, or None if it is still running."""
        proc = self._proc
        if proc is None:
            return None
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(proc.wait(), timeout_s)
        except TimeoutError:
            return None

    def check_alive(self) -> bool:
        """False (and the exit code remembered) if the daemon died without being told to."""
        proc = self._proc
        if proc is None or proc.returncode is None:
            return proc is not None
        self.unexpected_exits.append(proc.returncode)
        self._proc = None
        return False

    async def wait_ready(self, timeout_s: float = 30.0) -> None:
        """Wait until the health page answers (signal handlers are installed by then): 200, or 503 with
        its reasons (the process runs; it says what it cannot do yet)."""
        if self.health_url is None:
            raise RuntimeError("no health_url: cannot tell when the daemon is ready")
        deadline = time.monotonic() + timeout_s
        async with aiohttp.ClientSession() as http:
            while time.monotonic() < deadline:
                if not self.running:
                    raise RuntimeError(f"the daemon exited during start-up; see {self.log_path}")
                try:
                    async with http.get(self.health_url, timeout=aiohttp.ClientTimeout(total=1)) as resp:
                        if resp.status in (200, 503):
                            return
                except (aiohttp.ClientError, TimeoutError):
                    pass
                await asyncio.sleep(0.1)
        raise TimeoutError(f"the daemon did not answer {self.health_url} within {timeout_s} s")

    async def close(self, grace_s: float = 10.0) -> int | None:
        """Stop politely (SIGTERM), then by force; always reaps the process. Its exit code."""
        code = await self.terminate(grace_s)
        if code is None and self._proc is not None:
            self._proc.send_signal(signal.SIGKILL)
            await self._proc.wait()
        self._proc = None
        return code


class DaemonGroup:
    """Several ``bridge run`` processes on one database (several hosts, as an operator would run them).

    With one member it behaves like that member alone. Kills pick a member at
    random (``kill_one``); a member that died by itself is restarted by
    ``restart_dead``. Every member is reaped by ``close``.
    """

    def __init__(self, members: list[DaemonProcess]) -> None:
        if not members:
            raise ValueError("a daemon group needs at least one member")
        self.members = members

    @property
    def kills(self) -> int:
        return sum(m.kills for m in self.members)

    @property
    def starts(self) -> int:
        return sum(m.starts for m in self.members)

    @property
    def unexpected_exits(self) -> list[int]:
        return [code for m in self.members for code in m.unexpected_exits]

    async def start(self) -> None:
        for member in self.members:
            await member.start()

    async def kill_one(self, rng: random.Random) -> int:
        """SIGKILL one member (drawn from ``rng`` only when there is a choice) and restart it."""
        index = rng.randrange(len(self.members)) if len(self.members) > 1 else 0
        await self.members[index].kill()
        await self.members[index].start()
        return index

    async def restart_dead(self) -> list[tuple[int, int]]:
        """Restart members that exited without being told to: (index, exit code) of each."""
        restarted = []
        for index, member in enumerate(self.members):
            if not member.check_alive():
                restarted.append((index, member.unexpected_exits[-1]))
                await member.start()
        return restarted

    async def close(self, grace_s: float = 10.0) -> list[int | None]:
        """Stop every member (SIGTERM together, then by force); their exit codes."""
        return list(await asyncio.gather(*(m.close(grace_s) for m in self.members)))
