"""Every store write that follows a billing or marketplace call lands even if the task is cancelled there.

Each case brings one order to the point where a service calls a remote system,
then runs the service with the store role it writes through wrapped: the
moment the write is entered, the service's task is cancelled (the daemon's stop
after its grace). The task must end cancelled, and only after the write has
landed, so a graceful stop that waits for the task never closes the store under
the write; the write's event is then in the order's story. Real HTTP to both
sandboxes, the real store, both engines.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from bridge.core.errors import Ambiguous, Permanent, Retryable
from bridge.core.reversals import parts_to_reverse
from bridge.core.states import LineState
from bridge.services.delivery import write_back_due, write_back_trade
from bridge.services.deps import Deps
from bridge.services.fulfil import fulfil_due, provision_line, to_operation
from bridge.services.memos import write_memos_due
from bridge.services.reversal_job import reverse_due
from tests.rig import Rig, line, with_role

S = LineState
Run = Callable[[Deps], Awaitable[object]]
"""The service as the case runs it, on the bridge's dependencies with one store role wrapped."""


class _CancelAtWrite:
    """A store role whose ``write`` cancels ``victim`` (the service's task) as it starts; then writes."""

    def __init__(self, role: object, write: str) -> None:
        self._role, self._write = role, write
        self.victim: asyncio.Task[object] | None = None
        self.landed = False

    def __getattr__(self, name: str) -> Any:
        real = getattr(self._role, name)
        if name != self._write:
            return real

        async def cancelled_as_it_starts(*args: Any, **kwargs: Any) -> Any:
            assert self.victim is not None
            self.victim.cancel()
            result = await real(*args, **kwargs)
            self.landed = True
            return result

        return cancelled_as_it_starts


class _Answering:
    """A remote port (billing core or shop) whose call ``name`` ends with ``error``; the rest is real."""

    def __init__(self, real: object, name: str, error: Exception) -> None:
        self._real, self._name, self._error = real, name, error

    def __getattr__(self, name: str) -> Any:
        if name != self._name:
            return getattr(self._real, name)

        async def refused(*args: Any, **kwargs: Any) -> Any:
            raise self._error

        return refused


def _billing(name: str, error: Exception) -> Callable[[Deps], Deps]:
    return lambda deps: dataclasses.replace(deps, billing=_Answering(deps.billing, name, error))


def _shop(name: str, error: Exception) -> Callable[[Deps], Deps]:
    def answering(deps: Deps) -> Deps:
        return dataclasses.replace(deps, shops={s: _Answering(m, name, error) for s, m in deps.shops.items()})

    return answering


def _as_is(deps: Deps) -> Deps:
    return deps


async def _provision(rig: Rig, remote: Callable[[Deps], Deps]) -> tuple[int, Run]:
    """A READY line claimed; the run provisions it with the billing core as ``remote`` makes it."""
    tid = await rig.planned()
    [ln] = await rig.deps.store.lines.claim_lines(rig.deps.owner, rig.deps.clock(), 10.0, 1)
    return tid, lambda deps: provision_line(remote(deps), ln)


async def _sent(rig: Rig, *, landed: bool) -> tuple[int, Run]:
    """A line whose part went out just now with no answer recorded (``landed``: the call applied);
    the run provisions it again, so it is looked up first."""
    tid = await rig.planned()
    store = rig.deps.store
    [ln] = await store.lines.claim_lines(rig.deps.owner, rig.deps.clock(), 10.0, 1)
    assert await store.operations.begin_submit(ln, ln.operations[0], rig.deps.owner, rig.deps.clock())
    if landed:
        await rig.deps.billing.apply(to_operation(ln.operations[0]))
    [sent] = await rig.lines(tid)
    return tid, lambda deps: provision_line(deps, sent)


async def _reversing(rig: Rig, remote: Callable[[Deps], Deps]) -> tuple[int, Run]:
    """A delivered line refunded in the shop and its reversal started; the run is one reversal pass."""
    tid = await rig.planned()
    ln = await rig.refunded_after_delivery(tid)
    started = await rig.deps.store.reversals.request_reversal(
        ln, parts_to_reverse(ln), approval=False, note="", now=rig.deps.clock(), actor="cs"
    )
    assert started
    return tid, lambda deps: reverse_due(remote(deps))


async def _applied(rig: Rig) -> int:
    tid = await rig.planned()
    await fulfil_due(rig.deps)
    return tid


async def _write_back(rig: Rig) -> tuple[int, Run]:
    """Every line of the trade applied; the run is one write-back pass."""
    return await _applied(rig), write_back_due


async def _write_back_refused(rig: Rig) -> tuple[int, Run]:
    """A trade due for write-back, claimed; the run writes it back and the shop refuses at the door."""
    tid = await _applied(rig)
    store = rig.deps.store
    [trade] = await store.delivery.claim_trades(rig.deps.owner, rig.deps.clock(), 10.0, 10)
    lines = await store.delivery.trade_lines(trade.id)
    remote = _shop("deliver", Retryable("busy"))
    return tid, lambda deps: write_back_trade(remote(deps), trade, lines)


async def _memo(rig: Rig) -> tuple[int, Run]:
    """A line sent to CS (unmapped SKU), its memo queued; the run is one memo pass."""
    return await rig.planned(line("TV-NO-SUCH-SKU", "4.00")), write_memos_due


@dataclass(frozen=True)
class Site:
    role: str  # the store role written through
    write: str  # its method the write calls
    event: str  # what the write leaves in the order's story
    scene: Callable[[Rig], Awaitable[tuple[int, Run]]]


SITES = {
    "applied": Site("operations", "record_applied_many", "applied", lambda r: _provision(r, _as_is)),
    "retry_after_retryable": Site(
        "operations",
        "record_retry",
        "retry_later",
        lambda r: _provision(r, _billing("apply", Retryable("busy"))),
    ),
    "exception_after_permanent": Site(
        "operations",
        "record_exception",
        "exception",
        lambda r: _provision(r, _billing("apply", Permanent("card blocked", code="CARD_INACTIVE"))),
    ),
    "unknown_after_ambiguous": Site(
        "operations",
        "record_unknown",
        "answer_lost",
        lambda r: _provision(r, _billing("apply", Ambiguous("read timeout"))),
    ),
    "lookup_reconciled_applied": Site(
        "operations", "record_applied", "applied", lambda r: _sent(r, landed=True)
    ),
    "lookup_not_settled_retry": Site(
        "operations", "record_retry", "retry_later", lambda r: _sent(r, landed=False)
    ),
    "reversal_part_done": Site("reversals", "part_done", "part_reversed", lambda r: _reversing(r, _as_is)),
    "reversal_refused": Site(
        "reversals",
        "reversal_refused",
        "reversal_refused",
        lambda r: _reversing(r, _billing("reverse", Permanent("spent", code="REVERSAL_NOT_ALLOWED"))),
    ),
    "trades_delivered": Site("delivery", "trades_delivered", "trade_delivered", _write_back),
    "trade_delivery_failed": Site(
        "delivery", "trade_delivery_failed", "writeback_failed", _write_back_refused
    ),
    "memo_done": Site("delivery", "memo_done", "memo_written", _memo),
}


async def _story(rig: Rig, tid: str) -> list[str]:
    [trade] = await rig.deps.store.views.find_trades(tid)
    _, events = await rig.deps.store.views.trade_story(trade)
    return [e.kind for e in events]


@pytest.mark.parametrize("site", SITES.values(), ids=SITES.keys())
async def test_a_write_after_a_call_lands_before_the_cancelled_task_ends(rig: Rig, site: Site) -> None:
    """Cancelled as the write starts: the task ends cancelled, the write already landed, in the story."""
    tid, run = await site.scene(rig)
    before = await _story(rig, tid)
    cut = _CancelAtWrite(getattr(rig.deps.store, site.role), site.write)
    task = asyncio.create_task(
        run(dataclasses.replace(rig.deps, store=with_role(rig.deps.store, site.role, cut)))
    )
    cut.victim = task
    with pytest.raises(asyncio.CancelledError):
        await task
    assert cut.landed
    after = await _story(rig, tid)
    assert after.count(site.event) == before.count(site.event) + 1


class _HeldShop:
    """The shop, its write-back call held in flight until ``release`` is set."""

    def __init__(self, real: object) -> None:
        self._real = real
        self.in_flight = asyncio.Event()
        self.release = asyncio.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    async def deliver(self, *args: Any, **kwargs: Any) -> Any:
        self.in_flight.set()
        await self.release.wait()
        return await self._real.deliver(*args, **kwargs)


async def test_a_write_back_pass_cancelled_mid_call_lets_the_call_finish_and_records_it(rig: Rig) -> None:
    """Cancelled while the shop's call is in flight: the call goes on, the pass ends cancelled only
    after the trade the shop took is recorded delivered."""
    tid = await _applied(rig)
    shops = {s: _HeldShop(m) for s, m in rig.deps.shops.items()}
    task = asyncio.create_task(write_back_due(dataclasses.replace(rig.deps, shops=shops)))
    [held] = shops.values()
    await held.in_flight.wait()
    task.cancel()
    await asyncio.sleep(0.05)
    held.release.set()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert (await _story(rig, tid)).count("trade_delivered") == 1
    assert (await rig.market_trade(tid))["status"] == "WAIT_BUYER_CONFIRM_GOODS"
