"""``bridge recover``: after a backup is restored, nothing is sent twice and nothing is forgotten.

A restored store is older than the billing core and the marketplace: lines it
shows READY, SUBMITTED or UNKNOWN may have been applied since the backup (their
request_ids are the same, so a billing core that does not deduplicate would
apply them again), and trades delivered since the backup are shown shipped, so
intake would skip them. The operator runs one command after any restore and
before any daemon starts (``refuse_restored`` makes a daemon refuse a copy made
by ``bridge backup`` until it has run). With every daemon stopped, it drops the leases the
store holds (their holders are gone), then:

1. re-reads every shop from ``since`` (the backup's time) minus the polling
   overlap, shipped trades included, and stores the trades and lines missing;
2. plans every RECEIVED line, so no line is left to be planned later with
   PENDING parts (a part sent without a lookup);
3. puts every line still moving to UNKNOWN with its parts not known applied
   UNKNOWN, counted as sent now (``RecoveryStorePort.look_up_first``): from here
   fulfilment asks the billing core before any send, and trusts a "not found"
   only after the settle time (a call cut by the stop may still land);
4. asks the billing core about each of those parts now: applied → recorded
   applied; not found on a trade the marketplace shows shipped → EXCEPTION
   ``RESTORED_SHIPPED`` (a person decides, never a resend); not found otherwise →
   looked up again by the daemon after the settle time;
5. writes back the trades now settled (shipped ones count as delivered);
6. removes the backup's mark: the daemons may start.

Each step is safe to run again: a recovery cut short is run again from the start.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog

from bridge.core.cursor import poll_windows
from bridge.core.errors import BridgeError, ConfigError
from bridge.core.inflight import settles_at
from bridge.core.reasons import memo_for, reason_text
from bridge.core.records import LineRecord, OperationRecord
from bridge.core.states import LineState, OperationState
from bridge.core.trades import SHIPPED_STATES
from bridge.services.delivery import write_back_due
from bridge.services.deps import Deps
from bridge.services.intake import PollReport, ingest_tids
from bridge.services.listing import list_window
from bridge.services.planning import plan_due

log = structlog.get_logger("bridge.services.recovery")

_PLAN_PAGE = 200
_CLAIM = 50
SHIPPED_NOT_APPLIED = "RESTORED_SHIPPED"


class RestoredBackup(ConfigError):
    """The database is a backup made by ``bridge backup``: ``bridge recover`` must run first."""


class RecoveryIncomplete(BridgeError):
    """The recovery could not finish: run it again (the backup's mark stays until it does)."""


@dataclass
class RecoveryReport:
    since: datetime
    trades_read: int = 0  # trades read in full from the shops
    trades_stored: int = 0
    lines_to_look_up: int = 0  # lines still moving, put to "look up first"
    found_applied: int = 0  # of those, every part applied in the billing core: recorded, not sent
    shipped_not_applied: int = 0  # shipped, but the billing core has no such operation: a person decides
    waiting: int = 0  # not found yet: the daemon looks up again after the settle time
    trades_delivered: int = 0


async def refuse_restored(deps: Deps) -> None:
    """A daemon's start: refuse a database marked as a backup (``RestoredBackup``, exit code 2)."""
    taken = await deps.store.recovery.backup_mark()
    if taken is not None:
        raise RestoredBackup(
            f"the database is a backup taken at {taken.isoformat()}: "
            "run `bridge recover --config …` before starting the daemon (README: restoring a backup)"
        )


async def recover(deps: Deps, since: datetime | None = None) -> RecoveryReport:
    """Make a restored store safe to run on (the steps in the module docstring)."""
    taken = await deps.store.recovery.backup_mark()
    start = since or taken
    if start is None:
        raise ConfigError("this database carries no backup mark: give --since, the time the backup was taken")
    report = RecoveryReport(start)
    await deps.store.recovery.drop_leases()  # held by daemons that are gone: the work is claimable now
    for shop in deps.shops:
        await _reread(deps, shop, start, report)
    while await plan_due(deps, _PLAN_PAGE) == _PLAN_PAGE:
        pass
    left = (await deps.store.views.progress()).get(LineState.RECEIVED.value, 0)
    if left:
        raise RecoveryIncomplete(f"{left} line(s) could not be planned")
    report.lines_to_look_up = await deps.store.recovery.look_up_first(deps.clock(), deps.owner)
    await _look_up_all(deps, report)
    while delivered := await write_back_due(deps):
        report.trades_delivered += delivered
    await deps.store.recovery.clear_backup_mark()
    log.info("recovered", **{k: str(v) for k, v in vars(report).items()})
    return report


async def _reread(deps: Deps, shop: str, since: datetime, report: RecoveryReport) -> None:
    """Every trade modified since ``since`` (less the overlap), read in full and stored, shipped too."""
    polling = deps.settings.polling
    windows = poll_windows(
        since,
        deps.clock(),
        overlap=timedelta(seconds=polling.overlap_s),
        window=timedelta(seconds=polling.window_s),
        initial_lookback=timedelta(seconds=polling.initial_lookback_s),
    )
    poll = PollReport(shop)
    for start, end in windows:
        tids = [s.tid for s in await list_window(deps.shops[shop], start, end)]
        report.trades_read += len(tids)
        await ingest_tids(deps, shop, tids, poll, take_shipped=True)
    if poll.failed or poll.unstored:
        raise RecoveryIncomplete(f"{len(poll.failed) + len(poll.unstored)} trade(s) of {shop} not stored")
    report.trades_stored += poll.stored


async def _look_up_all(deps: Deps, report: RecoveryReport) -> None:
    """Each line put to "look up first", claimed once, its parts asked of the billing core."""
    seen: set[int] = set()
    lease_s = deps.settings.fulfilment.lease_s
    while True:
        claimed = await deps.store.lines.claim_lines(deps.owner, deps.clock(), lease_s, _CLAIM)
        fresh = [line for line in claimed if line.id not in seen]
        for line in claimed:
            if line.id in seen:
                await deps.store.lines.release(line)
        if not fresh:
            return
        shipped = await _shipped_tids(deps, fresh)
        for line in fresh:
            seen.add(line.id)
            try:
                await _look_up_line(deps, line, (line.shop, line.tid) in shipped, report)
            except BridgeError as exc:
                for rest in fresh:
                    await deps.store.lines.release(rest)
                raise RecoveryIncomplete(f"the billing core could not be asked: {exc}") from exc


async def _shipped_tids(deps: Deps, lines: list[LineRecord]) -> set[tuple[str, str]]:
    shipped = set()
    for shop, tid in {(line.shop, line.tid) for line in lines}:
        trades = await deps.store.views.find_trades(tid, shop)
        if any(t.status in SHIPPED_STATES for t in trades):
            shipped.add((shop, tid))
    return shipped


async def _look_up_line(deps: Deps, line: LineRecord, shipped: bool, report: RecoveryReport) -> None:
    for op in line.operations:
        if op.state == OperationState.APPLIED.value:
            continue
        found = await deps.billing.find(op.request_id)
        if found is None:
            await _not_found(deps, line, op, shipped, report)
            return
        fresh = await deps.store.operations.record_applied(
            line, op, found, deps.owner, deps.clock(), how="reconciled"
        )
        if fresh is None:
            return
        line = fresh
    report.found_applied += 1


async def _not_found(
    deps: Deps, line: LineRecord, op: OperationRecord, shipped: bool, report: RecoveryReport
) -> None:
    now = deps.clock()
    if shipped:  # the bridge ships only what it applied: shipped by hand, or the core lost it
        report.shipped_not_applied += 1
        await deps.store.operations.record_exception(
            line,
            reason=SHIPPED_NOT_APPLIED,
            message=f"{reason_text(SHIPPED_NOT_APPLIED, 'en')}: {op.request_id}",
            actor=deps.owner,
            now=now,
            memo=memo_for(line.oid, SHIPPED_NOT_APPLIED),
        )
        return
    report.waiting += 1
    next_at = settles_at(op.result, deps.settings.fulfilment.settle_s) or now
    await deps.store.operations.record_retry(
        line,
        op,
        error="restored: not found yet, looked up again after the settle time",
        actor=deps.owner,
        now=now,
        next_at=next_at,
        count_attempt=False,
    )
