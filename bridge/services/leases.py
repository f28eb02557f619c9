"""Leases kept while work runs: a line's around a billing call, a shop's poller lease around a poll.

The lease a line was claimed with is the fence (its owner and token, checked by
the store on every write that depends on it). A call is started only while that
lease lasts longer than the billing timeout plus a margin, read at the moment of
the check; a short lease is renewed first, and a line whose lease cannot be made
long enough is given back until a lease has passed. While a call or a lookup is in flight, a small task
renews the lease every third of ``fulfilment.lease_s``, so another worker never
takes the line over while the call may still land; a renewal refused (the lease
ran out and was taken over) is logged and the renewing stops: the outcome write
that follows is refused in turn, and the new holder looks the part up.

A shop's poller lease is kept the same way while a poll reads its windows
(``kept_polling``): the first poll of a large backlog may take longer than the
lease, and must not be taken over (and read again) by another instance half-way.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import structlog

from bridge.core.errors import StoreUnavailable
from bridge.core.inflight import CALL_MARGIN_S
from bridge.core.records import LineRecord, OperationRecord, PollerLease
from bridge.services.deps import Deps

log = structlog.get_logger("bridge.services.leases")


def needed_for_call_s(deps: Deps) -> float:
    """How long a lease must still run for a billing call to start on it."""
    return deps.settings.billing.timeout_s + CALL_MARGIN_S


async def submit_on_lease(deps: Deps, line: LineRecord, op: OperationRecord) -> bool:
    """Commit SUBMITTED only on a lease that outlasts the call: renewed first if it is short.

    False when no call may start: the lease was taken over, or it cannot be made
    long enough (the line is then given back), or the line moved on meanwhile.
    """
    store, need = deps.store, needed_for_call_s(deps)
    if await store.operations.begin_submit(line, op, deps.owner, deps.clock(), need_s=need):
        return True
    if not await store.lines.renew_lease(line, deps.clock(), deps.settings.fulfilment.lease_s):
        log.warning("lease_lost_before_call")
        return False
    if await store.operations.begin_submit(line, op, deps.owner, deps.clock(), need_s=need):
        return True
    lease_s = deps.settings.fulfilment.lease_s
    await store.lines.release(line, next_at=deps.clock() + timedelta(seconds=lease_s))  # not this pass again
    log.warning("no_call_on_this_lease", lease_s=lease_s, needs_s=need)
    return False


async def _renew_every(deps: Deps, line: LineRecord, every_s: float) -> None:
    lease_s = deps.settings.fulfilment.lease_s
    while True:
        await asyncio.sleep(every_s)
        try:
            renewed = await deps.store.lines.renew_lease(line, deps.clock(), lease_s)
        except StoreUnavailable as exc:  # a store hiccup: the next tick tries again
            log.warning("lease_renewal_error", error=str(exc), error_kind=exc.code)
            continue
        except Exception:  # a bug: logged with its traceback; the next tick tries again, and should the
            # lease run out meanwhile the part stays SENT for its next holder to look up (never resent blind)
            log.exception("lease_renewal_crashed")
            continue
        if not renewed:
            log.warning("lease_renewal_refused")
            return
        log.debug("lease_renewed")


async def _renew_poller_every(deps: Deps, held: PollerLease, every_s: float) -> None:
    lease = timedelta(seconds=deps.settings.polling.lease_s)
    while True:
        await asyncio.sleep(every_s)
        now = deps.clock()
        try:
            renewed = await deps.store.pollers.renew_poller(
                held.shop, deps.owner, held.token, now=now, until=now + lease
            )
        except StoreUnavailable as exc:  # a store hiccup: the next tick tries again
            log.warning("poller_renewal_error", shop=held.shop, error=str(exc), error_kind=exc.code)
            continue
        except Exception:  # a bug: logged with its traceback; the next tick tries again, and should the
            # lease run out meanwhile the watermark save is refused and the window read again
            log.exception("poller_renewal_crashed", shop=held.shop)
            continue
        if not renewed:  # the watermark save that ends the poll is refused in turn
            log.warning("poller_renewal_refused", shop=held.shop, token=held.token)
            return


@asynccontextmanager
async def kept_polling(deps: Deps, held: PollerLease) -> AsyncIterator[None]:
    """Renew the shop's poller lease every third of ``polling.lease_s`` while a poll reads its windows,
    so a long poll (a backlog's first) is not taken over half-way by another instance."""
    renewing = asyncio.create_task(_renew_poller_every(deps, held, deps.settings.polling.lease_s / 3))
    try:
        yield
    finally:
        renewing.cancel()


@asynccontextmanager
async def kept_leased(deps: Deps, line: LineRecord) -> AsyncIterator[None]:
    """Renew ``line``'s lease every third of ``lease_s`` until the block (a call, a lookup) ends."""
    every_s = deps.settings.fulfilment.lease_s / 3
    renewing = asyncio.create_task(_renew_every(deps, line, every_s))
    try:
        yield
    finally:
        # no await here: a cancellation that arrives as the call returns must reach the shielded
        # outcome write, not stop in this block (the renewal ends on the loop's next turn)
        renewing.cancel()
