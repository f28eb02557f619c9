"""Whether the daemon can do its work, told by ``/healthz``: the one owner of that verdict.

``Health`` (kept in ``Runtime``) remembers what the jobs met: every
``StoreUnavailable`` a job ends with is recorded against the job as
``{code, since, last, count}``; the job's next run that ends well clears it, and
so does any write the store carries out afterwards (``writes_done``: the
database takes writes again, even when the job that failed runs rarely). ``report`` reads the store
and turns what holds now into reasons; any reason makes the answer 503, in the
same shape as the 200:

* store writes failing: at once for a read-only or full database (nothing gets
  written until a person or the disk changes it), after ``[store] failing_s``
  for the rest (a refused connection, an exhausted pool, timeouts: a blip is
  not an outage);
* less than ``[store] min_free_mb`` free on the SQLite file's disk (SQLite
  writes into the pages it holds after the disk fills, so a full disk may
  not show in writes for a while; this shows it first);
* write-back failing for a trade longer than ``[alerts] writeback_failing_s``;
* a shop's polling watermark older than ``[alerts] watermark_age_s``;
* the billing breaker open longer than ``[alerts] billing_unavailable_s``.

A condition the store does not date (write-back failing, the breaker) is dated
from the first health check that saw it, by this instance. A store error while
the report is read is itself a reason, never a bare 500.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bridge.core.errors import StoreUnavailable

if TYPE_CHECKING:
    from bridge.services.deps import Deps

__all__ = ["IMMEDIATE_CODES", "Fault", "Health", "report"]

IMMEDIATE_CODES = frozenset({"STORE_READ_ONLY", "STORE_FULL"})
"""Store failures that make the daemon unhealthy at once: they last until something outside changes."""


@dataclass
class Fault:
    """A job's store failures since its last good run: the code of the latest, when, how many."""

    code: str
    since: datetime
    last: datetime
    count: int
    error: str
    writes_seen: int  # the store's writes_done() at the latest failure

    def shown(self, job: str) -> dict[str, Any]:
        return {
            "job": job,
            "code": self.code,
            "since": _iso(self.since),
            "last": _iso(self.last),
            "count": self.count,
            "error": self.error[:300],
        }


@dataclass
class Health:
    """What this instance's jobs met, and since when it has seen the conditions the store does not date."""

    store_faults: dict[str, Fault] = field(default_factory=dict)  # by job
    _seen_since: dict[str, datetime] = field(default_factory=dict)

    def store_failed(self, job: str, exc: StoreUnavailable, now: datetime, writes_done: int) -> Fault:
        """Record that ``job`` ended on ``exc`` at ``now``; the fault keeps its first moment."""
        fault = self.store_faults.get(job)
        if fault is None:
            fault = self.store_faults[job] = Fault(exc.code, now, now, 0, str(exc), writes_done)
        fault.code, fault.last, fault.count, fault.error = exc.code, now, fault.count + 1, str(exc)
        fault.writes_seen = writes_done
        return fault

    def writes_landed(self, writes_done: int) -> None:
        """The store carried out a write since these faults: the database takes writes again."""
        for job, fault in list(self.store_faults.items()):
            if writes_done > fault.writes_seen:
                del self.store_faults[job]

    def job_succeeded(self, job: str) -> None:
        """``job`` ran to its end: whatever store failure it had met is over."""
        self.store_faults.pop(job, None)

    def observed(self, condition: str, holds: bool, now: datetime) -> datetime | None:
        """Since when ``condition`` has held by this instance's checks; None (and forgotten) when not."""
        if not holds:
            self._seen_since.pop(condition, None)
            return None
        return self._seen_since.setdefault(condition, now)

    def store_reasons(self, now: datetime, failing_s: float) -> list[dict[str, Any]]:
        """The store faults that count now: read-only or full at once, the others after ``failing_s``."""
        return [
            {"kind": "store_writes_failing", **fault.shown(job)}
            for job, fault in sorted(self.store_faults.items())
            if fault.code in IMMEDIATE_CODES or (now - fault.since).total_seconds() >= failing_s
        ]


def _iso(value: object) -> str | None:
    return value.astimezone(UTC).isoformat() if isinstance(value, datetime) else None


def _age(since: datetime | None, now: datetime) -> float:
    return 0.0 if since is None else (now - since).total_seconds()


def _polls(cursors: list[dict[str, object]]) -> dict[str, dict[str, object]]:
    return {
        str(c["shop"]): {
            "watermark": _iso(c["watermark"]),
            "last_success_at": _iso(c["last_success_at"]),
            "last_error": c["last_error"],
            "poller": c["poller"],  # the instance holding the shop's poller lease
            "poller_until": _iso(c["poller_until"]),
        }
        for c in cursors
    }


async def _read(deps: Deps, body: dict[str, Any], now: datetime) -> list[dict[str, Any]]:
    """Fill ``body`` from the store; the reasons found in what was read (raises ``StoreUnavailable``)."""
    a, health = deps.settings.alerts, deps.runtime.health
    cursors = await deps.store.views.cursor_rows()
    body["lines"] = await deps.store.views.state_counts()
    body["exceptions"] = await deps.store.views.exception_counts()
    body["polls"] = _polls(cursors)
    reasons: list[dict[str, Any]] = []
    for c in cursors:
        watermark = c["watermark"]
        if isinstance(watermark, datetime) and _age(watermark, now) > a.watermark_age_s:
            reasons.append({"kind": "polling_stale", "shop": str(c["shop"]), "since": _iso(watermark)})
    failing = (await deps.store.monitoring.figures()).writeback_failing
    since = health.observed("writeback_failing", failing > 0, now)
    if since is not None and _age(since, now) >= a.writeback_failing_s:
        reasons.append({"kind": "writeback_failing", "trades": failing, "since": _iso(since)})
    return reasons


def _disk(deps: Deps, body: dict[str, Any]) -> list[dict[str, Any]]:
    """The database disk's free space into ``body``; a reason when it is under ``[store] min_free_mb``."""
    space = deps.store.disk_space()
    if space is None:
        return []
    body["store_disk"] = {"path": space.path, "free_bytes": space.free_bytes}
    least = round(deps.settings.store.min_free_mb * 1024 * 1024)
    if space.free_bytes >= least:
        return []
    low = {"kind": "store_disk_low", "path": space.path, "free_bytes": space.free_bytes}
    return [{**low, "min_free_bytes": least}]


async def report(deps: Deps) -> tuple[int, dict[str, Any]]:
    """``/healthz``: 200 and the figures, or 503 and the same figures (those readable) with the reasons."""
    now, runtime = deps.clock(), deps.runtime
    breaker_open = runtime.breaker.is_open(now)
    body: dict[str, Any] = {
        "status": "ok",
        "owner": deps.owner,
        "lines": None,
        "exceptions": None,
        "billing_paused": breaker_open,
        "billing_pause_reason": runtime.breaker.reason_at(now),
        "mappings_version": runtime.mappings.version,
        "polls": {},
        "store_disk": None,  # the SQLite file's path and free bytes; None on PostgreSQL
        "reasons": [],
    }
    runtime.health.writes_landed(deps.store.writes_done())
    reasons = runtime.health.store_reasons(now, deps.settings.store.failing_s) + _disk(deps, body)
    try:
        reasons += await _read(deps, body, now)
    except StoreUnavailable as exc:  # the health check cannot read the store: that is the answer
        reasons.append({"kind": "store_unreadable", "code": exc.code, "error": str(exc)[:300]})
    paused = runtime.health.observed("billing_paused", breaker_open, now)
    if paused is not None and _age(paused, now) >= deps.settings.alerts.billing_unavailable_s:
        reasons.append(
            {"kind": "billing_paused", "since": _iso(paused), "reason": body["billing_pause_reason"]}
        )
    body["reasons"] = reasons
    if reasons:
        body["status"] = "unavailable"
    return (503 if reasons else 200), body
