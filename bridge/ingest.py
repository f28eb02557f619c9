"""Intake: poll the marketplace for modified trades, read each in full, store it.

``poll_once`` reads every window from the watermark (minus an overlap) to the
moment the poll started, stores each trade (unique per shop + tid + oid, so a
re-read changes nothing), lets refunds and closures act on stored lines, and
plans new lines. The watermark moves only after the whole range was stored.
A trade that cannot be read or parsed is recorded for a person and never pins
the watermark.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import structlog

from bridge.cursor import next_watermark, poll_windows
from bridge.deps import Deps
from bridge.errors import BridgeError, Permanent
from bridge.models import CLOSED_STATUSES, Trade
from bridge.plan import plan_lines
from bridge.refunds import apply_trade_changes

log = structlog.get_logger("bridge.ingest")

_PAID = frozenset({"WAIT_SELLER_SEND_GOODS", "SELLER_CONSIGNED_PART"})


@dataclass
class PollReport:
    shop: str
    windows: int = 0
    seen: int = 0
    stored: int = 0
    skipped: int = 0
    failed: list[int] = field(default_factory=list)


async def poll_all(deps: Deps) -> list[PollReport]:
    """One poll of every shop; one shop's failure does not stop the others."""
    reports = []
    for shop in deps.shops:
        try:
            reports.append(await poll_once(deps, shop))
        except BridgeError as exc:
            log.error("poll_failed", shop=shop, error=str(exc), error_kind=type(exc).__name__)
            await deps.store.poll_failed(shop, f"{type(exc).__name__}: {exc}")
    return reports


async def poll_once(deps: Deps, shop: str) -> PollReport:
    """Read every window since the watermark; move the watermark only when all are stored."""
    market = deps.shops[shop]
    polling = deps.settings.polling
    started = deps.clock()
    watermark = await deps.store.watermark(shop)
    report = PollReport(shop)
    for start, end in poll_windows(watermark, started, overlap=timedelta(seconds=polling.overlap_s),
                                   window=timedelta(seconds=polling.window_s),
                                   initial_lookback=timedelta(seconds=polling.initial_lookback_s)):
        report.windows += 1
        summaries = await market.list_modified(start, end)
        report.seen += len(summaries)
        for summary in summaries:
            await ingest_tid(deps, shop, summary.tid, report)
    await deps.store.save_watermark(shop, next_watermark(watermark, started), started=started,
                                    now=deps.clock())
    deps.bump("polls")
    log.info("polled", shop=shop, windows=report.windows, seen=report.seen, stored=report.stored,
             failed=len(report.failed))
    return report


async def ingest_tid(deps: Deps, shop: str, tid: int, report: PollReport | None = None) -> None:
    """Read one trade in full and store it; a bad trade is recorded, never raised."""
    report = report or PollReport(shop)
    try:
        trade = await deps.shops[shop].get_trade(tid)
    except Permanent as exc:
        report.failed.append(tid)
        log.error("trade_unreadable", shop=shop, tid=tid, error=str(exc))
        await deps.store.record_intake_failure(shop, tid, error=str(exc), actor=deps.owner, now=deps.clock())
        return
    await ingest_trade(deps, shop, trade, report)


async def ingest_trade(deps: Deps, shop: str, trade: Trade, report: PollReport) -> None:
    known = bool(await deps.store.find_trades(trade.tid, shop))
    if not known and trade.status not in _PAID:
        # unpaid, closed before we saw it, or shipped by hand: not the bridge's to provision
        report.skipped += 1
        if trade.status not in CLOSED_STATUSES and trade.status != "WAIT_BUYER_PAY":
            log.info("trade_skipped", shop=shop, tid=trade.tid, status=trade.status)
        return
    stored = await deps.store.save_trade(shop, trade, deps.clock(), deps.owner)
    report.stored += 1
    await apply_trade_changes(deps, trade, stored)
    await plan_lines(deps, trade, [line for line in stored if line.state.value == "RECEIVED"])
