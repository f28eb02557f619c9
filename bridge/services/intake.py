"""Intake: poll the marketplace for modified trades, read each in full, store it.

``poll_once`` reads every window from the watermark (minus an overlap) to the
moment the poll started, storing each listed page (unique per shop + tid + oid,
so a re-read changes nothing; refunds and closures act, new lines are planned)
before the next is asked for: a backlog costs the memory of one page. The
watermark moves only after the whole range was stored.
One instance polls a shop at a time: ``poll_once`` first takes the shop's
poller lease (skipping the shop when another instance holds it), and the
watermark save is fenced by the lease's token, so a poller paused past its
lease cannot move the watermark once another took over.
A trade that cannot be read or parsed is recorded for a person and never pins
the watermark. A paid trade the store keeps refusing (after a few tries) is
recorded for a person too, and the watermark stays below its modified time,
so every later poll reads it again until it is stored: never dropped. A read
older than the stored trade is stored only where it adds lines; refunds and
closes act on the newest read alone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from contextlib import aclosing
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

import structlog

from bridge.core import request_ids
from bridge.core.cursor import next_watermark, poll_windows
from bridge.core.errors import BridgeError, Permanent, StoreUnavailable
from bridge.core.records import LineRecord, StoredTrade
from bridge.core.relisting import needs_read
from bridge.core.states import LineState
from bridge.core.trades import SHIPPED_STATES, OrderState, Trade, TradeSummary
from bridge.services.deps import Deps
from bridge.services.leases import kept_polling
from bridge.services.planning import plan_lines
from bridge.services.refunds import apply_trade_changes

log = structlog.get_logger("bridge.services.intake")
_T = TypeVar("_T")

_READ_CONCURRENCY = 8
_PAGE = 50  # trades stored (and their lines planned) in one transaction
_PAID = frozenset({OrderState.PAID, OrderState.PART_SHIPPED})
_STORE_TRIES = 3
_STORE_PAUSE_S = 0.2


class _Unstored(Exception):
    """The store refused a paid trade every time it was tried, or failed on it with a bug."""

    def __init__(self, modified: datetime, cause: Exception) -> None:
        super().__init__(f"storage error: {cause!r}")
        self.modified = modified


@dataclass
class PollReport:
    shop: str
    windows: int = 0
    seen: int = 0
    stored: int = 0
    skipped: int = 0
    unchanged: int = 0
    failed: list[str] = field(default_factory=list)
    unstored: list[datetime] = field(default_factory=list)  # modified times of paid trades not stored
    polled: bool = True  # False: another instance holds the shop's poller lease, skipped this round
    saved: bool = False  # the watermark save was accepted (False after a lost lease: read again next time)


async def poll_all(deps: Deps) -> list[PollReport]:
    """One poll of every shop; one shop's failure does not stop the others."""
    reports = []
    for shop in deps.shops:
        try:
            reports.append(await poll_once(deps, shop))
        except BridgeError as exc:
            log.error("poll_failed", shop=shop, error=str(exc), error_kind=type(exc).__name__)
            await deps.store.intake.poll_failed(shop, f"{type(exc).__name__}: {exc}")
    return reports


async def poll_once(deps: Deps, shop: str) -> PollReport:
    """Take the shop's poller lease, read every window since the watermark, then move it (fenced).

    An instance that does not get the lease skips the shop this round. The
    watermark moves only when all windows were stored and only while this
    instance still holds the lease with the token it was given.
    """
    report = PollReport(shop)
    started = deps.clock()
    lease = timedelta(seconds=deps.settings.polling.lease_s)
    held = await deps.store.pollers.take_poller(shop, deps.owner, now=started, until=started + lease)
    if held.owner != deps.owner:
        report.polled = False
        until = held.until.isoformat() if held.until else None
        log.debug("poll_skipped", shop=shop, reason="another instance polls", poller=held.owner, until=until)
        return report
    watermark = await deps.store.intake.watermark(shop)
    async with kept_polling(deps, held):
        await _read_windows(deps, shop, watermark, started, report)
        settled = await _settled(deps, shop)
    target = next_watermark(watermark, started, settled)
    if report.unstored:  # stay below the oldest unstored paid trade: the next poll reads it again
        target = min(target, min(report.unstored) - timedelta(seconds=1))
    now = deps.clock()
    report.saved = await deps.store.intake.save_watermark(
        shop, target, owner=deps.owner, token=held.token, started=started, now=now, until=now + lease
    )
    if not report.saved:  # a paused poller whose lease another took: the next poll reads the window again
        log.warning("watermark_refused", shop=shop, reason="poller lease lost", token=held.token)
    log.info(
        "polled",
        shop=shop,
        windows=report.windows,
        seen=report.seen,
        stored=report.stored,
        failed=len(report.failed),
    )
    return report


async def _read_windows(
    deps: Deps, shop: str, watermark: datetime | None, started: datetime, report: PollReport
) -> None:
    """List each window from the watermark (minus the overlap) to ``started``; store what changed."""
    polling, rules = deps.settings.polling, deps.shops[shop].listing
    # the storefront lists no further back than its reach: the first whole second inside it
    reach = None if rules.reach_back is None else _next_second(started - rules.reach_back)
    for start, end in poll_windows(
        watermark,
        started,
        overlap=timedelta(seconds=polling.overlap_s),
        window=min(timedelta(seconds=polling.window_s), rules.max_window),
        initial_lookback=timedelta(seconds=polling.initial_lookback_s),
        earliest=reach,
    ):
        if reach is not None and report.windows == 0 and start == reach:
            log.warning(
                "listing_reach_exceeded", shop=shop, earliest=reach.isoformat(), watermark=str(watermark)
            )
        report.windows += 1
        async with aclosing(deps.shops[shop].list_pages(start, end)) as pages:
            async for summaries in pages:
                await _store_listed(deps, shop, summaries, report)


def _next_second(moment: datetime) -> datetime:
    return moment if moment.microsecond == 0 else moment.replace(microsecond=0) + timedelta(seconds=1)


async def _settled(deps: Deps, shop: str) -> datetime | None:
    """Up to when the shop's storefront lists every change: its clock less its settle lag (None: no
    lag, the poll's start will do). One call to the storefront's clock a poll, only where it lags."""
    lag = deps.shops[shop].listing.settle_lag
    if lag <= timedelta(0):
        return None
    return await deps.shops[shop].server_time() - lag


async def _store_listed(deps: Deps, shop: str, summaries: list[TradeSummary], report: PollReport) -> None:
    """One listed page, stored before the next is asked for; the watermark stays (a poll stopped
    after it lists the window again, and what it stored is stored once: insert-or-ignore)."""
    report.seen += len(summaries)
    known = await deps.store.intake.known_versions(shop, [s.tid for s in summaries])
    fresh: dict[str, None] = {}  # in order, each once
    for summary in summaries:
        if needs_read(known.get(summary.tid), summary):
            fresh[summary.tid] = None
        else:
            report.unchanged += 1  # re-listed (the overlap, our own writes), nothing new: no full read
    await ingest_tids(deps, shop, list(fresh), report, known=set(known))


async def release_pollers(deps: Deps) -> None:
    """Graceful shutdown: give up this instance's poller leases so another polls at once."""
    for shop in deps.shops:
        try:
            if await deps.store.pollers.release_poller(shop, deps.owner):
                log.info("poller_released", shop=shop)
        except StoreUnavailable as exc:  # shutting down: the lease simply runs out instead
            log.warning("poller_release_failed", shop=shop, error=str(exc), error_kind=exc.code)


async def _ingest_page(
    deps: Deps, shop: str, tids: list[str], known: set[str], report: PollReport, take_shipped: bool = False
) -> None:
    """Read a page of trades a few at a time, store them in one transaction, plan their new lines
    together. A bad trade is recorded, never raised; the first transient error stops the poll."""
    sem = asyncio.Semaphore(_READ_CONCURRENCY)

    async def read(tid: str) -> Trade | None:
        async with sem:
            return await _recorded(deps, shop, tid, report, _read_named(deps, shop, tid))

    page = []
    for trade in await asyncio.gather(*(read(tid) for tid in tids)):
        if trade is None:
            continue
        # a recovery's re-read (``bridge.services.recovery``) also takes shipped trades the store does
        # not know: after a restore they may be ones the bridge delivered since the backup
        kept = trade.tid in known or (take_shipped and trade.state in SHIPPED_STATES)
        if not _skipped(shop, trade, kept, report):
            page.append(trade)
    received: list[tuple[Trade | None, LineRecord]] = []
    for trade, stored in await _save_page(deps, shop, page, report):
        report.stored += 1
        if stored.newer_stored:
            log.info("older_read_ignored", shop=shop, tid=trade.tid, modified=trade.modified.isoformat())
        else:
            await apply_trade_changes(deps, trade, list(stored.lines))
        received += [(trade, line) for line in stored.lines if line.state is LineState.RECEIVED]
    try:
        await plan_lines(deps, received)
    except StoreUnavailable as exc:  # stored as RECEIVED: planned by the next pass (plan_due), never dropped
        log.warning(
            "page_planning_failed", shop=shop, lines=len(received), error=str(exc), error_kind=exc.code
        )
    except Exception:  # a bug: logged with its traceback; the lines stay RECEIVED for the next pass
        log.exception("page_planning_crashed", shop=shop, lines=len(received))


async def _read_named(deps: Deps, shop: str, tid: str) -> Trade:
    """The full trade; ``Permanent`` when its ids cannot name its request_ids (too long, or not id
    text: ``bridge.core.request_ids``), so it waits for a person as an unreadable trade."""
    problem = request_ids.order_id_problem(tid, ())
    if problem is None:
        trade = await deps.shops[shop].get_trade(tid)
        problem = request_ids.order_id_problem(trade.tid, (line.oid for line in trade.lines))
        if problem is None:
            return trade
    raise Permanent(problem, code="ORDER_ID_INVALID")


async def _save_page(
    deps: Deps, shop: str, page: list[Trade], report: PollReport
) -> list[tuple[Trade, StoredTrade]]:
    """The page in one transaction; after a storage error, each trade on its own (``_save``)."""
    if not page:
        return []
    try:
        return list(
            zip(page, await deps.store.intake.save_trades(shop, page, deps.clock(), deps.owner), strict=True)
        )
    except StoreUnavailable as exc:
        log.warning("page_store_retry", shop=shop, trades=len(page), error=str(exc), error_kind=exc.code)
    except Exception:  # a bug: logged with its traceback; each trade is then stored on its own, and
        # one that still fails is recorded for a person with the watermark kept below it (``_save``)
        log.exception("page_store_crashed", shop=shop, trades=len(page))
    saved = []
    for trade in page:
        try:
            lines = await _save(deps, shop, trade)
        except _Unstored as exc:
            report.unstored.append(exc.modified)
            await _intake_failed(deps, shop, trade.tid, str(exc), report)
            continue
        saved.append((trade, StoredTrade(tuple(lines), await _superseded(deps, shop, trade))))
    return saved


def _skipped(shop: str, trade: Trade, known: bool, report: PollReport) -> bool:
    """Unpaid, closed before we saw it, or shipped by hand: not the bridge's to provision."""
    if known or trade.state in _PAID:
        return False
    report.skipped += 1
    if trade.state not in (OrderState.CLOSED, OrderState.UNPAID):
        log.info("trade_skipped", shop=shop, tid=trade.tid, status=trade.platform_status)
    return True


async def ingest_tids(
    deps: Deps,
    shop: str,
    tids: list[str],
    report: PollReport,
    *,
    known: set[str] | None = None,
    take_shipped: bool = False,
) -> None:
    """Read these trades in full and store them a page at a time; a bad trade is recorded, never
    raised (it is in ``report.failed``); a transient error is raised. ``known``: the tids the store
    already holds, when the caller has them; ``take_shipped``: shipped trades the store does not
    know are stored too (a recovery's re-read)."""
    if known is None:
        known = set(await deps.store.intake.known_versions(shop, tids))
    for at in range(0, len(tids), _PAGE):
        await _ingest_page(deps, shop, tids[at : at + _PAGE], known, report, take_shipped)


async def _recorded(deps: Deps, shop: str, tid: str, report: PollReport, work: Awaitable[_T]) -> _T | None:
    """``work`` on one trade; None when it failed for good and was recorded for a person.

    A transient or configuration error is raised: the poll stops and the watermark stays.
    """
    try:
        return await work
    except Permanent as exc:
        await _intake_failed(deps, shop, tid, str(exc), report)
    except _Unstored as exc:
        report.unstored.append(exc.modified)
        await _intake_failed(deps, shop, tid, str(exc), report)
    except BridgeError:
        raise
    except Exception as exc:  # a bug: logged with its traceback, recorded for a person; pins nothing
        log.exception("trade_intake_crashed", shop=shop, tid=tid)
        await _intake_failed(deps, shop, tid, f"internal error: {exc!r}", report)
    return None


async def _intake_failed(deps: Deps, shop: str, tid: str, error: str, report: PollReport) -> None:
    """Recorded once for CS: a new reason is logged loudly, the same one on the next poll is not."""
    report.failed.append(tid)
    if not request_ids.is_order_id(tid, request_ids.MAX_STORED_ID):  # cannot even be recorded
        log.error("trade_unreadable", shop=shop, tid=tid[:80], error=error, recorded=False)
        return
    intake = deps.store.intake
    if await intake.record_intake_failure(shop, tid, error=error, actor=deps.owner, now=deps.clock()):
        log.error("trade_unreadable", shop=shop, tid=tid, error=error)


async def ingest_trade(deps: Deps, shop: str, trade: Trade, report: PollReport) -> None:
    if _skipped(shop, trade, bool(await deps.store.views.find_trades(trade.tid, shop)), report):
        return
    stored = await _save(deps, shop, trade)
    report.stored += 1
    if await _superseded(deps, shop, trade):
        log.info("older_read_ignored", shop=shop, tid=trade.tid, modified=trade.modified.isoformat())
    else:
        await apply_trade_changes(deps, trade, stored)
    await plan_lines(deps, [(trade, line) for line in stored if line.state is LineState.RECEIVED])


async def _save(deps: Deps, shop: str, trade: Trade) -> list[LineRecord]:
    """Store the trade, trying again after a storage error; ``_Unstored`` when it keeps failing."""
    for attempt in range(1, _STORE_TRIES + 1):
        try:
            return await deps.store.intake.save_trade(shop, trade, deps.clock(), deps.owner)
        except StoreUnavailable as exc:  # may have committed: saving again changes nothing (insert-or-ignore)
            if attempt == _STORE_TRIES:
                raise _Unstored(trade.modified, exc) from exc
            log.warning(
                "trade_store_retry",
                shop=shop,
                tid=trade.tid,
                attempt=attempt,
                error=str(exc),
                error_kind=exc.code,
            )
            await asyncio.sleep(_STORE_PAUSE_S * attempt)
        except Exception as exc:  # a bug: logged with its traceback, the trade recorded for a person and
            # the watermark kept below it (``_Unstored``): every later poll reads it again, never dropped
            log.exception("trade_store_crashed", shop=shop, tid=trade.tid)
            raise _Unstored(trade.modified, exc) from exc
    raise AssertionError("unreachable")


async def _superseded(deps: Deps, shop: str, trade: Trade) -> bool:
    """The store holds a newer read of this trade than ``trade`` (this one is stale)."""
    stored = (await deps.store.intake.known_versions(shop, [trade.tid])).get(trade.tid)
    return stored is not None and stored.modified > trade.modified
