"""Hostile marketplace answers (issue 4 §3) through the real client, intake and store.

A corrupted trade must give an error naming the trade and the field, kept in
its timeline (an ``intake_failed`` event) for a person; nothing is applied on
a guess; and the bridge goes on: the next good order is delivered and the
polling watermark is not pinned. Duplicated and reordered list pages change
nothing. A huge or oddly written trade is either provisioned as written or
refused; it never stops the bridge.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from structlog.testing import capture_logs

from bridge.core.states import LineState
from bridge.store.schema import cursors, events
from tests.lab.hostile import TRADE_FAULTS, Fault, HostileSandbox, on_trade
from tests.rig import Rig, line, open_rig


@pytest.fixture
async def hostile(tmp_path: Path, database: str) -> AsyncIterator[tuple[Rig, HostileSandbox]]:
    market = HostileSandbox()
    async with open_rig(tmp_path, market_sandbox=market, database=database) as rig:
        yield rig, market


async def _intake_errors(rig: Rig, tid: str) -> list[str]:
    query = select(events.c.detail).where(events.c.tid == tid, events.c.kind == "intake_failed")
    async with rig.deps.store.engine.connect() as conn:
        return [str(d["error"]) for d in (await conn.execute(query)).scalars()]


async def _poisoned_then_good(rig: Rig, market: HostileSandbox, fault: Fault) -> tuple[int, int]:
    cards = await rig.cards()
    poisoned = await rig.order(line(), message=f"卡号{cards[0]}")
    market.trade_faults[poisoned] = fault
    good = await rig.order(line(), message=f"卡号{cards[1]}")
    for _ in range(2):
        await rig.cycle()
    return poisoned, good


@pytest.mark.parametrize("name", sorted(TRADE_FAULTS))
async def test_a_malformed_trade_is_recorded_naming_the_field(
    hostile: tuple[Rig, HostileSandbox], name: str
) -> None:
    """The error, kept in the trade's timeline for a person, names what is wrong with it."""
    rig, market = hostile
    fault, names = TRADE_FAULTS[name]
    poisoned, _ = await _poisoned_then_good(rig, market, fault)
    errors = await _intake_errors(rig, poisoned)
    assert errors, "no intake_failed event"
    assert all(names in e and "MARKETPLACE_DATA_INVALID" in e for e in errors), errors


@pytest.mark.parametrize("name", sorted(TRADE_FAULTS))
async def test_a_malformed_trade_is_never_provisioned_and_the_bridge_goes_on(
    hostile: tuple[Rig, HostileSandbox], name: str
) -> None:
    """Nothing applied or shipped on a guess; the next good order is delivered; the poll succeeded."""
    rig, market = hostile
    poisoned, good = await _poisoned_then_good(rig, market, TRADE_FAULTS[name][0])
    assert await rig.ledger(poisoned) == []
    assert (await rig.market_trade(poisoned))["deliveries"] == []
    assert [ln.state for ln in await rig.lines(good)] == [LineState.DELIVERED]
    async with rig.deps.store.engine.connect() as conn:
        assert (await conn.execute(select(cursors.c.last_error))).scalar_one() is None


def _duplicate_and_reverse(payload: dict[str, Any]) -> dict[str, Any]:
    trades = payload.get("trades") or []
    payload["trades"] = list(reversed(trades + trades[:1]))
    return payload


async def test_duplicated_and_reordered_pages_provision_each_line_once(
    hostile: tuple[Rig, HostileSandbox],
) -> None:
    """Every list page repeats a trade and comes back to front: each order still applied once."""
    rig, market = hostile
    market.list_fault = _duplicate_and_reverse
    cards = await rig.cards()
    tids = [await rig.order(line(), message=f"卡号{cards[n]}") for n in range(12)]
    for _ in range(3):
        await rig.cycle()
    assert [len(await rig.ledger(tid)) for tid in tids] == [1] * 12
    assert {ln.state for ln in await rig.lines()} == {LineState.DELIVERED}


async def test_a_huge_buyer_message_is_read_and_provisioned(hostile: tuple[Rig, HostileSandbox]) -> None:
    """Most of a megabyte of text around one card number: read in full, provisioned to that card."""
    rig, _ = hostile
    card = (await rig.cards())[2]
    tid = await rig.order(line(), message="请充值" * 40_000 + f"卡号{card}" + "谢谢" * 80_000)
    await rig.cycle()
    assert [op["card_no"] for op in await rig.ledger(tid)] == [card]


async def test_a_title_full_of_odd_unicode_is_kept_verbatim(hostile: tuple[Rig, HostileSandbox]) -> None:
    """RTL marks, zero-width joiners, emoji: stored as sent; a NUL (PostgreSQL refuses it): U+FFFD, noted."""
    rig, market = hostile
    odd = "\u202e频道\u200d包\x00📺\ufeff" + "\U0010fffd"
    card = (await rig.cards())[3]
    tid = await rig.order(line(), message=f"卡号{card}")
    market.trade_faults[tid] = on_trade(lambda t: t["orders"][0].update(title=odd))
    await rig.cycle()
    [stored] = await rig.lines(tid)
    assert (stored.title, stored.state) == (odd.replace("\x00", "\ufffd"), LineState.DELIVERED)
    [trade] = await rig.deps.store.views.find_trades(tid)
    _, story = await rig.deps.store.views.trade_story(trade)
    assert [e.detail["text_cleaned"] for e in story if e.kind == "received"] == [["title: NUL replaced"]]


def _bad_entry(payload: dict[str, Any]) -> dict[str, Any]:
    payload["trades"] = [*(payload.get("trades") or []), {"tid": "12ab", "status": 7, "modified": "soon"}]
    return payload


async def test_a_malformed_list_entry_does_not_stop_intake(hostile: tuple[Rig, HostileSandbox]) -> None:
    """An unreadable list entry is reported, and every other trade of the window still flows."""
    rig, market = hostile
    card = (await rig.cards())[4]
    tid = await rig.order(line(), message=f"卡号{card}")
    market.list_fault = _bad_entry
    with capture_logs() as logs:
        await rig.cycle()
    assert [ln.state for ln in await rig.lines(tid)] == [LineState.DELIVERED]
    problems = [e["problem"] for e in logs if e["event"] == "taobao_list_entry_unreadable"]
    assert problems and "trade 12ab" in problems[0] and "field tid" in problems[0]
    async with rig.deps.store.engine.connect() as conn:
        assert (await conn.execute(select(cursors.c.last_error))).scalar_one() is None


async def test_a_list_entry_with_a_readable_tid_is_read_in_full(hostile: tuple[Rig, HostileSandbox]) -> None:
    """A garbled list entry whose tid is readable is still read with fullinfo and provisioned."""
    rig, market = hostile
    card = (await rig.cards())[5]
    tid = await rig.order(line(), message=f"卡号{card}")

    def garble(payload: dict[str, Any]) -> dict[str, Any]:
        for trade in payload.get("trades") or []:
            if str(trade.get("tid")) == str(tid):
                trade["modified"] = "soon"
        return payload

    market.list_fault = garble
    await rig.cycle()
    assert [ln.state for ln in await rig.lines(tid)] == [LineState.DELIVERED]
