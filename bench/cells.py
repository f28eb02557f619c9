"""What a cell is, and the cells ``python -m bench`` runs by default.

Three kinds: ``throughput`` drains a backlog placed before the daemons start
against a billing core of fixed latency and in-flight cap; ``latency`` places
orders at a steady rate and measures payment → delivered, with push intake or
with polling alone; ``rss`` drains a large backlog and follows the daemon's
memory. Each runs with one Taobao shop, or with ``storefront = "pinduoduo"``
one Pinduoduo shop (the lab's, on its sandbox: polling alone, Pinduoduo has no push).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

Kind = Literal["throughput", "latency", "rss"]
KINDS: tuple[Kind, ...] = ("throughput", "latency", "rss")
Storefront = Literal["taobao", "pinduoduo"]
STOREFRONTS: tuple[Storefront, ...] = ("taobao", "pinduoduo")
PDD_POLL_INTERVAL_S = 30.0
"""A Pinduoduo latency cell's polling interval: the production default without push."""


@dataclass(frozen=True)
class Cell:
    kind: Kind
    engine: str = "sqlite"
    instances: int = 1
    latency_ms: float = 50.0  # the billing core's latency (constant)
    cap: int = 16  # the billing core's in-flight cap per API key
    orders: int = 600  # throughput: the backlog; latency: placed at ``rate``
    intake: Literal["push", "poll"] = "poll"
    rate: float = 5.0  # orders per second (latency cells)
    poll_interval_s: float = 5.0  # latency cells with polling alone
    backlog_lines: int = 100_000  # rss cells
    limit_s: float = 900.0  # give up waiting for the drain after this long (rss: stop and report)
    seed: int = 7
    storefront: Storefront = "taobao"

    @property
    def capacity_ops_per_s(self) -> float:
        return self.cap / (self.latency_ms / 1000)

    @property
    def name(self) -> str:
        pdd = self.storefront == "pinduoduo"
        where = f"{self.engine} ×{self.instances}" + (" pdd" if pdd else "")
        if self.kind == "throughput":
            return f"throughput {where} {self.latency_ms:g} ms/cap {self.cap}"
        if self.kind == "latency":
            every = f" {self.poll_interval_s:g} s" if pdd and self.intake == "poll" else ""
            return f"latency {where} {self.intake}{every} {self.rate:g}/s"
        return f"rss {where} {self.backlog_lines:,} lines"


def default_cells(base: Cell) -> list[Cell]:
    """Every cell of the issue's list, in the order printed (``base`` carries the shared options)."""
    cells = [
        replace(base, kind="throughput", engine=engine, instances=instances, latency_ms=latency, cap=16)
        for engine in ("sqlite", "postgresql")
        for instances in (1, 3)
        for latency in (50.0, 100.0)
    ]
    cells += [
        replace(base, kind="throughput", engine="postgresql", instances=n, latency_ms=50.0, cap=64)
        for n in (1, 3)
    ]
    pdd = replace(base, storefront="pinduoduo")
    cells.append(replace(pdd, kind="throughput", latency_ms=50.0, cap=16))
    cells += [replace(base, kind="latency", intake=intake, orders=300) for intake in ("push", "poll")]
    cells.append(replace(pdd, kind="latency", intake="poll", orders=300, poll_interval_s=PDD_POLL_INTERVAL_S))
    cells.append(replace(base, kind="rss", limit_s=600.0))
    return cells
