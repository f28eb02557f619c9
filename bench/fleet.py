"""The daemons of one cell: N ``bench.daemon`` processes on one database, each measured apart.

Each member gets its own configuration (instance name, health port), its own
counts file and the same database; the bridge's max in-flight billing calls is
the billing core's cap shared among them, so together they never exceed it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.daemon import COUNTS_ENV
from bench.procstat import cpu_s, rss_mb
from bridge.lab.daemon_process import DaemonGroup, DaemonProcess, free_port
from bridge.lab.sandboxes import Sandboxes, bridge_config, to_toml

SHOP = "main"
PDD_SHOP = "pdd"
"""A ``pinduoduo`` cell's one shop, on the lab's Pinduoduo sandbox (``bench.rig``)."""


@dataclass
class Fleet:
    """The running daemons and where each writes its counts."""

    group: DaemonGroup
    counts_paths: list[Path]

    def pids(self) -> list[int]:
        return [m.pid for m in self.group.members if m.pid is not None]

    def cpu_s(self) -> float:
        """CPU seconds of every member so far."""
        return sum(c for c in (cpu_s(pid) for pid in self.pids()) if c is not None)

    def rss_mb(self, field: str = "VmRSS") -> list[float]:
        """Each member's resident memory now (``VmHWM``: its peak so far)."""
        return [r for r in (rss_mb(pid, field) for pid in self.pids()) if r is not None]

    async def start(self) -> None:
        await self.group.start()
        for member in self.group.members:
            await member.wait_ready(timeout_s=60)

    async def stop(self) -> dict[str, float]:
        """SIGTERM every member; their counts summed (empty if one could not write them)."""
        await self.group.close(grace_s=20)
        total: dict[str, float] = {}
        for path in self.counts_paths:
            if not path.exists():
                return {}
            for key, value in json.loads(path.read_text(encoding="utf-8")).items():
                total[key] = total.get(key, 0.0) + value
        return total


def fleet(
    sb: Sandboxes,
    workdir: Path,
    dsn: str,
    instances: int,
    cap: int,
    *,
    shops: dict[str, Any] | None = None,
    **sections: dict[str, Any],
) -> Fleet:
    """Configurations and process handles for ``instances`` daemons on ``dsn`` (not started);
    ``shops`` replaces the Taobao shop (every sandbox's secrets are in the daemons' environment)."""
    members, paths = [], []
    fulfilment = {
        "interval_s": 0.2,
        **sections.pop("fulfilment", {}),
        "max_in_flight": max(1, cap // instances),
    }
    sections["fulfilment"] = fulfilment
    for n in range(1, instances + 1):
        port = free_port()
        config = bridge_config(sb, workdir, shop=SHOP, **sections)
        if shops is not None:
            config["shops"] = shops
        config.update(database=dsn, instance=f"bench-{n}", listen=f"127.0.0.1:{port}", log_level="warning")
        config_path = workdir / f"bridge-{n}.toml"
        config_path.write_text(to_toml(config), encoding="utf-8")
        counts = workdir / f"counts-{n}.json"
        member = DaemonProcess(
            config_path,
            {**sb.env(), COUNTS_ENV: str(counts)},
            workdir / f"bridge-{n}.log",
            f"http://127.0.0.1:{port}/healthz",
            module="bench.daemon",
        )
        members.append(member)
        paths.append(counts)
    return Fleet(DaemonGroup(members), paths)
