"""Scheduler triggers only: APScheduler 3 runs the services on intervals.

The push job (when ``push.enabled``) consumes the marketplace's messages until
none are left, then runs again ``push.idle_sleep_s`` later; polling stays on
as its safety net.

Every job has ``max_instances=1, coalesce=True``: a slow run is never doubled,
missed runs collapse into one. The services themselves know nothing of the
scheduler; tests and the CLI call them directly.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import structlog
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bridge.core.errors import StoreUnavailable
from bridge.core.models import CST
from bridge.services.alerts import Notifier
from bridge.services.api_callbacks import send_callbacks
from bridge.services.console_figures import refresh_figures
from bridge.services.deadlines import escalate_deadlines
from bridge.services.delivery import write_back_due
from bridge.services.deps import Deps
from bridge.services.fulfil import fulfil_due
from bridge.services.intake import poll_all, release_pollers
from bridge.services.mappings import reload_mappings
from bridge.services.memos import write_memos_due
from bridge.services.planning import plan_due
from bridge.services.push import push_all
from bridge.services.reconcile import reconcile_yesterday
from bridge.services.retention import archive_due
from bridge.services.reversal_job import reverse_due

log = structlog.get_logger("bridge.services.jobs")


def _guarded(name: str, fn: Callable[[Deps], Awaitable[Any]], deps: Deps) -> Callable[[], Awaitable[None]]:
    async def run() -> None:
        if deps.runtime.stopping.is_set():
            return
        task = asyncio.current_task()
        if task is not None:
            deps.runtime.running.add(task)
        try:
            await fn(deps)
        except asyncio.CancelledError:
            log.warning("job_cancelled", job=name)
        except StoreUnavailable as exc:  # the database cannot do it now: the next run starts afresh
            deps.runtime.health.store_failed(name, exc, deps.clock(), deps.store.writes_done())
            deps.metrics.job_failed(name, exc.code)
            log.warning("job_store_unavailable", job=name, error=str(exc), error_kind=exc.code)
        except Exception as exc:  # a bug: logged with its traceback, the scheduler kept alive; the job's
            # work stays in the store (leases run out) for the next run, or for a person to see
            deps.metrics.job_failed(name, "error")
            log.exception("job_failed", job=name, error=repr(exc))
        else:
            deps.runtime.health.job_succeeded(name)
        finally:
            if task is not None:
                deps.runtime.running.discard(task)

    return run


async def _sweep(deps: Deps) -> None:
    cleared = await deps.store.lines.sweep_leases(deps.clock())
    if cleared:
        log.info("expired_leases_cleared", count=cleared)


async def _anchor_clock(deps: Deps) -> None:
    await deps.clock.anchor()


async def _plan_and_fulfil(deps: Deps) -> None:
    await plan_due(deps)
    await fulfil_due(deps)


def build_scheduler(deps: Deps) -> AsyncIOScheduler:
    s = deps.settings
    scheduler = AsyncIOScheduler(timezone=UTC)
    now = datetime.now(UTC)
    jobs: list[tuple[str, Callable[[Deps], Awaitable[Any]], float]] = [
        ("poll", poll_all, s.polling.interval_s),
        ("fulfil", _plan_and_fulfil, s.fulfilment.interval_s),
        ("writeback", write_back_due, s.writeback.interval_s),
        ("memos", write_memos_due, s.writeback.interval_s),
        ("reversals", reverse_due, s.reversal.interval_s),
        ("sweep", _sweep, s.sweep_interval_s),
        ("mappings", reload_mappings, s.mapping_reload_s),
        ("clock", _anchor_clock, s.clock_anchor_s),
        ("archive", archive_due, s.retention.interval_s),  # old events and audit rows to the archive
        ("figures", refresh_figures, s.console.figures_every_s or 1.0),  # 0: read at each request too
        ("deadlines", escalate_deadlines, s.deadlines.interval_s),  # missed lines counted, at risk told
    ]
    if s.alerts.enabled:  # the rules' alerts posted to a group-chat robot
        jobs.append(("alerts", Notifier(), s.alerts.interval_s))
    if s.api.enabled:  # the channels' callbacks: the outbox's due rows, signed, until a 2xx
        jobs.append(("callbacks", send_callbacks, s.api.callback_every_s))
    if s.push.enabled:  # consumes until the queue is empty, then again after idle_sleep_s
        jobs.insert(0, ("push", push_all, s.push.idle_sleep_s))
    for name, fn, every in jobs:
        scheduler.add_job(
            _guarded(name, fn, deps),
            "interval",
            seconds=every,
            id=name,
            name=name,
            max_instances=1,
            coalesce=True,
            next_run_time=now,
            misfire_grace_time=None,
        )
    if s.reconcile.enabled:  # yesterday, once a day at local daily_at; the day's lease picks one instance
        hour, minute = (int(part) for part in s.reconcile.daily_at.split(":"))
        scheduler.add_job(
            _guarded("reconcile", reconcile_yesterday, deps),
            "cron",
            hour=hour,
            minute=minute,
            timezone=CST,
            id="reconcile",
            name="reconcile",
            max_instances=1,
            coalesce=True,
            misfire_grace_time=3600,
        )
    return scheduler


async def stop_scheduler(scheduler: AsyncIOScheduler, deps: Deps) -> None:
    """Graceful stop: no new runs, let running ones finish (bounded), cancel the rest, free the pollers."""
    deps.runtime.stopping.set()
    scheduler.pause()
    running = set(deps.runtime.running)
    if running:
        log.info("waiting_for_jobs", count=len(running), grace_s=deps.settings.shutdown_grace_s)
        _, pending = await asyncio.wait(running, timeout=deps.settings.shutdown_grace_s)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending, timeout=5)
    scheduler.shutdown(wait=False)
    await release_pollers(deps)
