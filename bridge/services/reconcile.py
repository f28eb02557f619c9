"""Reconcile one local day: what the shops say was paid, the bridge stored and the billing core applied.

``reconcile_day`` gathers the three sides and hands them to the pure
``bridge.core.reconcile``:

- the marketplace: each shop's trades listed by modified windows through the
  shop's port (``list_window``: its pages gathered, as intake lists them)
  from the day's start to ``scan_days`` after it (or now), each trade that may
  have been paid read in full (``get_trade``, fullinfo), its lines paid that day;
  every shop of every storefront, one after the other. A shop whose storefront
  cannot be listed or read (it refuses, times out, its authorisation lapsed) is
  reported, never skipped in silence: a ``RECON_SHOP_UNLISTED`` row and an
  unlisted ``ShopListing`` in the report; the other shops are reconciled all the same;
- the bridge: the lines the store holds paid that day, with their parts;
- the billing core: every part of those lines looked up by request_id, and the
  day's listing when the core has one (version 1.1; a 1.0 core answers
  ``None`` and the run says the listing was unavailable).

The run and its disagreements are stored (by key: reconciling a day again
changes rows, never adds copies), and each disagreement about a line whose
state may move to EXCEPTION puts that line in front of CS with the reason;
the others stay in the run's list. A lease on the day's run lets one instance
reconcile it at a time.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import structlog

from bridge.core.cursor import poll_windows
from bridge.core.errors import BridgeError
from bridge.core.models import CST, OperationResult
from bridge.core.reasons import reason_text
from bridge.core.reconcile import (
    LISTED,
    UNAVAILABLE,
    BillingSide,
    Disagreement,
    PaidLine,
    RunFigures,
    RunRecord,
    day_bounds,
    paid_lines,
    reconcile,
)
from bridge.core.reconcile_shops import ShopListing, unlisted_rows
from bridge.core.records import LineRecord
from bridge.core.trades import OrderState, TradeSummary
from bridge.ports import StorefrontPort
from bridge.services.deps import Deps
from bridge.services.listing import list_window

log = structlog.get_logger("bridge.services.reconcile")

_READ_CONCURRENCY = 8
_WINDOW = timedelta(days=1)  # the marketplace lists at most a day of modified trades at a time
_NOT_OWED = frozenset({OrderState.UNPAID, OrderState.CLOSED})


class ReconcileBusy(BridgeError):
    """Another instance holds the day's reconciliation lease."""


@dataclass(frozen=True)
class ReconcileReport:
    """A finished run: the disagreements, as stored, and what was looked at."""

    run: RunRecord
    rows: tuple[Disagreement, ...]
    flagged: int  # lines put in front of CS by this run
    shops: tuple[ShopListing, ...] = ()  # every shop, listed or with its storefront's error

    @property
    def every_shop_listed(self) -> bool:
        return all(shop.listed for shop in self.shops)

    @property
    def listing_available(self) -> bool:
        return self.run.listing == LISTED


async def reconcile_day(deps: Deps, day: date) -> ReconcileReport:
    """Reconcile ``day`` (local date, UTC+8) and store the run; ``ReconcileBusy`` while another runs it."""
    settings = deps.settings.reconcile
    started = deps.clock()
    held = await deps.store.reconcile.take_reconcile_lease(
        day, deps.owner, now=started, until=started + timedelta(seconds=settings.lease_s)
    )
    if held is None:
        raise ReconcileBusy(f"another instance is reconciling {day.isoformat()}", code="RECONCILE_BUSY")
    try:
        return await _run(deps, day, started)
    except BaseException:
        await deps.store.reconcile.release_reconcile_lease(day, deps.owner)
        raise


async def _run(deps: Deps, day: date, started: datetime) -> ReconcileReport:
    settings = deps.settings.reconcile
    start, end = day_bounds(day)
    shops, paid = await _read_shops(deps, day, start, min(started, end + timedelta(days=settings.scan_days)))
    lines = await deps.store.reconcile.lines_paid_between(start, end)
    request_ids = [op.request_id for line in lines for op in line.operations]
    found = await _look_up(deps, request_ids)
    listing = await deps.billing.list_operations(day)
    if listing is None:
        log.warning("reconcile_listing_unavailable", day=day.isoformat())
    unknown = {op.request_id for op in listing or ()} - set(request_ids)
    known = await deps.store.reconcile.known_request_ids(unknown)
    now = deps.clock()
    rows = unlisted_rows(shops) + reconcile(
        day,
        deps.shops,
        paid,
        lines,
        BillingSide(found, listing),
        known_request_ids=known,
        now=now,
        settle=timedelta(seconds=settings.settle_s),
    )
    flagged = await _put_before_cs(deps, rows, {line.id: line for line in lines})
    figures = RunFigures(
        day=day,
        started_at=started,
        listing=LISTED if listing is not None else UNAVAILABLE,
        paid_lines=len(paid),
        bridge_lines=len(lines),
        looked_up=len(found),
        listed=len(listing or ()),
    )
    run = await deps.store.reconcile.save_reconciliation(
        figures, [(row, row.line_id in flagged) for row in rows], owner=deps.owner, now=deps.clock()
    )
    log.info(
        "reconciled",
        day=day.isoformat(),
        disagreements=len(rows),
        flagged=len(flagged),
        listing=figures.listing,
        paid_lines=figures.paid_lines,
        bridge_lines=figures.bridge_lines,
        unlisted=[s.shop for s in shops if not s.listed],
    )
    return ReconcileReport(run, tuple(rows), len(flagged), tuple(shops))


async def _read_shops(
    deps: Deps, day: date, start: datetime, until: datetime
) -> tuple[list[ShopListing], list[PaidLine]]:
    """Every shop of every storefront, one after the other: each read or why not, and the lines paid."""
    shops: list[ShopListing] = []
    paid: list[PaidLine] = []
    for shop in deps.shops:
        read, found = await _read_shop(deps, shop, day, start, until)
        shops.append(read)
        paid += found
    return shops, paid


async def _read_shop(
    deps: Deps, shop: str, day: date, start: datetime, until: datetime
) -> tuple[ShopListing, list[PaidLine]]:
    """The shop's paid lines and that it was read; or, when its storefront failed, none and why."""
    port = deps.shops[shop]
    try:
        paid = await _paid_in_shop(port, shop, day, start, until)
    except BridgeError as exc:  # the storefront's, whatever it is: a lapsed Taobao session is a ConfigError
        code = exc.code or type(exc).__name__
        log.warning(
            "reconcile_shop_unlisted", shop=shop, storefront=port.storefront, code=code, error=exc.message
        )
        return ShopListing(shop, port.storefront, code, exc.message), []
    return ShopListing(shop, port.storefront), paid


async def _paid_in_shop(
    port: StorefrontPort, shop: str, day: date, start: datetime, until: datetime
) -> list[PaidLine]:
    """The shop's lines paid on ``day``: every trade modified since the day began, read in full."""
    seen: dict[str, TradeSummary] = {}
    windows = poll_windows(start, until, overlap=timedelta(0), window=_WINDOW, initial_lookback=_WINDOW)
    for window_start, window_end in windows if until > start else []:
        for summary in await list_window(port, window_start, window_end):
            seen[summary.tid] = summary
    wanted = [s.tid for s in seen.values() if s.state not in _NOT_OWED]
    sem = asyncio.Semaphore(_READ_CONCURRENCY)

    async def read(tid: str) -> list[PaidLine]:
        async with sem:
            return paid_lines(shop, await port.get_trade(tid), day)

    return [p for lines in await asyncio.gather(*(read(tid) for tid in wanted)) for p in lines]


async def _look_up(deps: Deps, request_ids: list[str]) -> dict[str, OperationResult | None]:
    """Each request_id asked of the billing core, a few at a time."""
    sem = asyncio.Semaphore(_READ_CONCURRENCY)

    async def find(request_id: str) -> tuple[str, OperationResult | None]:
        async with sem:
            return request_id, await deps.billing.find(request_id)

    return dict(await asyncio.gather(*(find(r) for r in dict.fromkeys(request_ids))))


async def _put_before_cs(deps: Deps, rows: list[Disagreement], lines: dict[int, LineRecord]) -> set[int]:
    """Move each concerned line (once) to EXCEPTION with its first reason, where its state allows."""
    flagged: set[int] = set()
    tried: set[int] = set()
    for row in rows:
        if row.line_id is None or row.line_id in tried or row.line_id not in lines:
            continue
        tried.add(row.line_id)
        moved = await deps.store.reconcile.flag_for_reconciliation(
            lines[row.line_id],
            reason=row.kind,
            message=f"{reason_text(row.kind)}：{row.detail}",
            now=deps.clock(),
            actor="reconcile",
        )
        if moved:
            flagged.add(row.line_id)
    return flagged


async def reconcile_yesterday(deps: Deps) -> ReconcileReport | None:
    """The daily job: reconcile yesterday unless an instance already did (or is doing) it."""
    day = yesterday(deps.clock())
    stored = await deps.store.reconcile.reconcile_run(day)
    if stored is not None and stored[0].finished_at is not None:
        log.info("reconcile_skipped", day=day.isoformat(), reason="already reconciled")
        return None
    try:
        return await reconcile_day(deps, day)
    except ReconcileBusy:
        log.info("reconcile_skipped", day=day.isoformat(), reason="another instance reconciles it")
        return None


def yesterday(now: datetime) -> date:
    """The local day (UTC+8) before ``now``'s."""
    return now.astimezone(CST).date() - timedelta(days=1)
