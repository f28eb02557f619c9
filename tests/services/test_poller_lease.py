"""One poller per shop across instances: the interleavings forced, on both engines.

Each "instance" is the rig's ``Deps`` with another lease owner over the same
database (``dataclasses.replace``); a wrapped marketplace holds one inside its
poll (after its listing) until the test lets it go.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request
from structlog.testing import capture_logs

from bridge.app import health
from bridge.core.errors import StoreUnavailable
from bridge.core.trades import TradeSummary
from bridge.ports import StorefrontPort
from bridge.services.deps import Deps
from bridge.services.intake import poll_once, release_pollers
from bridge.services.listing import list_window
from bridge.web.keys import DEPS_KEY
from tests.rig import Rig, line, open_rig

SHOP = "main"


class _Gate:
    """A marketplace that counts its listings and can hold the poll inside one until released."""

    def __init__(self, real: StorefrontPort, *, hold: bool = True) -> None:
        self._real = real
        self.hold = hold
        self.listings = 0
        self.entered = asyncio.Event()
        self.release = asyncio.Event()

    async def list_pages(self, start: datetime, end: datetime) -> AsyncGenerator[list[TradeSummary], None]:
        self.listings += 1
        found = await list_window(self._real, start, end)
        if self.hold:
            self.entered.set()
            await self.release.wait()
        if found:
            yield found

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def _instance(rig: Rig, owner: str, gate: _Gate | None = None) -> Deps:
    shops = {SHOP: gate} if gate is not None else rig.deps.shops
    return replace(rig.deps, owner=owner, shops=shops)  # type: ignore[arg-type]  # a wrapped port


def _lease(rig: Rig) -> float:
    return rig.deps.settings.polling.lease_s


async def test_two_instances_polling_one_shop_at_once_one_polls_the_other_skips(rig: Rig) -> None:
    """While A is inside its poll, B finds the lease taken: it lists nothing and says so at debug level."""
    tid = await rig.order(line(), message=(await rig.cards())[0])
    gate, watcher = _Gate(rig.deps.shops[SHOP]), _Gate(rig.deps.shops[SHOP], hold=False)
    a, b = _instance(rig, "host-a:1", gate), _instance(rig, "host-b:1", watcher)
    first = asyncio.create_task(poll_once(a, SHOP))
    await asyncio.wait_for(gate.entered.wait(), 10)
    with capture_logs() as logs:
        second = await poll_once(b, SHOP)
    gate.release.set()
    report = await first
    assert (report.polled, report.saved, second.polled, watcher.listings) == (True, True, False, 0)
    assert any(e["event"] == "poll_skipped" and e["log_level"] == "debug" for e in logs)
    assert len(await rig.lines(tid)) == 1


async def test_a_paused_leader_cannot_move_the_watermark_past_an_unstored_trade(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pauses past its lease; B takes over and keeps the watermark below a paid trade it could
    not store; A's late save is refused, so the watermark neither passes that trade nor goes back."""
    rig.later(-60)  # the first watermark a minute before the trade below
    await poll_once(_instance(rig, "host-a:1"), SHOP)
    first_mark = await rig.deps.store.intake.watermark(SHOP)
    assert first_mark is not None
    rig.later(60 + 1000)  # A's poll starts well after anything the marketplace shows yet
    gate = _Gate(rig.deps.shops[SHOP])
    paused = asyncio.create_task(poll_once(_instance(rig, "host-a:1", gate), SHOP))
    await asyncio.wait_for(gate.entered.wait(), 10)
    tid = await rig.order(line(), message=(await rig.cards())[1])  # listed after A's listing
    modified = (await rig.deps.shops[SHOP].get_trade(tid)).modified
    rig.later(_lease(rig) + 1)  # A's lease runs out while it is paused
    failing = _refuse_saves(rig, monkeypatch)
    b = _instance(rig, "host-b:1")
    taken = await poll_once(b, SHOP)
    failing.clear()
    assert taken.polled and taken.saved and taken.failed == [tid]
    pinned = await rig.deps.store.intake.watermark(SHOP)
    assert pinned is not None and first_mark <= pinned < modified
    gate.release.set()
    late = await paused
    assert await rig.deps.store.intake.watermark(SHOP) == pinned  # neither past the unstored trade nor back
    assert late.polled and not late.saved
    rig.later(5)
    again = await poll_once(b, SHOP)
    assert again.saved and again.failed == [] and len(await rig.lines(tid)) == 1


def _refuse_saves(rig: Rig, monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """The store refuses every trade while the returned list is not empty (as a database error would)."""
    armed = [True]
    real, real_page = rig.deps.store.intake.save_trade, rig.deps.store.intake.save_trades

    async def save_trade(*args: Any, **kwargs: Any) -> Any:
        if armed:
            raise StoreUnavailable("the database connection was lost", code="STORE_CONNECTION_LOST")
        return await real(*args, **kwargs)

    async def save_trades(*args: Any, **kwargs: Any) -> Any:
        if armed:
            raise StoreUnavailable("the database connection was lost", code="STORE_CONNECTION_LOST")
        return await real_page(*args, **kwargs)

    monkeypatch.setattr(rig.deps.store.intake, "save_trade", save_trade)
    monkeypatch.setattr(rig.deps.store.intake, "save_trades", save_trades)
    return armed


async def test_after_the_leader_dies_another_instance_polls_within_a_lease(rig: Rig) -> None:
    """A polls and dies holding its lease: B skips until the lease runs out, then polls and stores."""
    a, b = _instance(rig, "host-a:1"), _instance(rig, "host-b:1")
    assert (await poll_once(a, SHOP)).saved
    tid = await rig.order(line(), message=(await rig.cards())[2])
    rig.later(_lease(rig) / 2)
    assert not (await poll_once(b, SHOP)).polled
    rig.later(_lease(rig) / 2 + 1)
    report = await poll_once(b, SHOP)
    assert report.polled and report.saved and len(await rig.lines(tid)) == 1


async def test_each_successful_poll_extends_the_lease(rig: Rig) -> None:
    """A poll that took most of the lease ends with a whole lease ahead: B does not take over."""
    gate = _Gate(rig.deps.shops[SHOP])
    polling = asyncio.create_task(poll_once(_instance(rig, "host-a:1", gate), SHOP))
    await asyncio.wait_for(gate.entered.wait(), 10)
    rig.later(_lease(rig) * 0.75)
    gate.release.set()
    assert (await polling).saved
    rig.later(
        _lease(rig) * 0.5
    )  # past the lease taken when the poll started, within the one its save extended
    assert not (await poll_once(_instance(rig, "host-b:1"), SHOP)).polled


async def test_a_poll_longer_than_the_lease_renews_it_as_it_goes(tmp_path: Path, database: str) -> None:
    """A held inside its listing for twice its (short) lease: it renewed the lease meanwhile,
    so B still skips the shop, and A's watermark save is accepted."""
    polling = {"overlap_s": 120, "initial_lookback_s": 300, "lease_s": 0.9}
    async with open_rig(tmp_path, database=database, polling=polling) as rig:
        gate = _Gate(rig.deps.shops[SHOP])
        a = asyncio.create_task(poll_once(_instance(rig, "host-a:1", gate), SHOP))
        await asyncio.wait_for(gate.entered.wait(), 10)
        await asyncio.sleep(2 * 0.9)  # real time: the lease is renewed by A's own task, not by the test
        b = await poll_once(_instance(rig, "host-b:1"), SHOP)
        gate.release.set()
        assert (await a).saved and not b.polled


async def test_a_graceful_stop_frees_the_shop_at_once(rig: Rig) -> None:
    a, b = _instance(rig, "host-a:1"), _instance(rig, "host-b:1")
    await poll_once(a, SHOP)
    await release_pollers(a)
    assert (await poll_once(b, SHOP)).polled


async def test_healthz_shows_who_polls_each_shop_until_when(rig: Rig) -> None:
    """Every instance's /healthz shows the shared state: the shop's poller and its lease's end."""
    a = _instance(rig, "host-a:1")
    await poll_once(a, SHOP)
    request = make_mocked_request("GET", "/healthz", app=_app_with(_instance(rig, "host-b:1")))
    body = json.loads((await health(request)).text or "")
    [cursor] = await rig.deps.store.views.cursor_rows()
    assert body["polls"][SHOP]["poller"] == "host-a:1"
    assert body["polls"][SHOP]["poller_until"] == cursor["poller_until"].isoformat()  # type: ignore[union-attr]
    assert body["polls"][SHOP]["watermark"] is not None


def _app_with(deps: Deps) -> web.Application:
    app = web.Application()
    app[DEPS_KEY] = deps
    return app
