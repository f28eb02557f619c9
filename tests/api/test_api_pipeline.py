"""API orders through the one pipeline, over real HTTP on both engines: a signed POST is taken in at
once, credited once in the billing sandbox and delivered to the client's order (its time and card
codes); a product named directly is credited; a refund asked for cancels or goes the reversal way;
an order whose intake never ran is taken up by polling; reconciliation reads the client's orders."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest

from bridge.core import reconcile as rc
from bridge.core.models import CST
from bridge.core.reconcile_shops import ShopListing
from bridge.core.states import LineState
from bridge.services import reversals
from bridge.services.delivery import write_back_due
from bridge.services.fulfil import fulfil_due
from bridge.services.intake import poll_all
from bridge.services.reconcile import reconcile_day
from tests.api.channel import line, order
from tests.api.conftest import ServerFactory
from tests.api.hall import CLIENT, Hall, open_hall


@pytest.fixture
async def hall(tmp_path: Path, database: str, aiohttp_server: ServerFactory) -> AsyncIterator[Hall]:
    """The bridge with the channel client ``hall``, its API's intake hooked as in the daemon."""
    async with open_hall(tmp_path, database, aiohttp_server) as opened:
        yield opened


async def _states(hall: Hall, order_id: str) -> list[LineState]:
    return [ln.state for ln in await hall.rig.lines(order_id)]


async def test_a_posted_order_is_credited_once_and_delivered(hall: Hall) -> None:
    """The POST's order is stored as the client's line at once, credited once, and delivered: the
    client's order has its delivery time; further passes change nothing."""
    card = (await hall.rig.cards())[0]
    await hall.post("H1", line(card_no=card))
    assert [(ln.shop, ln.oid, ln.state) for ln in await hall.rig.lines("H1")] == [
        (CLIENT, "1", LineState.READY)
    ]
    for _ in range(2):
        await hall.rig.cycle()
    [op] = await hall.rig.ledger("H1")
    assert (op["card_no"], op["amount_fen"]) == (card, 10000)
    assert await _states(hall, "H1") == [LineState.DELIVERED]
    assert (await hall.stored("H1")).delivered_at is not None


async def test_a_card_code_line_s_codes_are_kept_for_the_client(hall: Hall) -> None:
    """A line of card codes (no card number) is delivered with its codes stored by oid."""
    await hall.post("H2", line(sku="TV-CARD-0050", amount_fen=10000, quantity=2, card_no=None))
    await hall.rig.cycle()
    stored = await hall.stored("H2")
    assert stored.delivered_at is not None and stored.codes is not None
    assert list(stored.codes) == ["1"] and len(stored.codes["1"]) == 2


async def test_a_line_naming_a_product_is_credited(hall: Hall) -> None:
    """A line with a product code (no SKU) is planned from the catalogue: 2 × RC-0100 credits 200 yuan."""
    card = (await hall.rig.cards())[0]
    await hall.post("H3", line(sku=None, product_code="RC-0100", quantity=2, amount_fen=20000, card_no=card))
    await hall.rig.cycle()
    assert [(op["card_no"], op["amount_fen"]) for op in await hall.rig.ledger("H3")] == [(card, 20000)]
    assert await _states(hall, "H3") == [LineState.DELIVERED]


async def test_an_unmapped_sku_waits_for_a_person(hall: Hall) -> None:
    """A SKU the mapping does not know: the line is an exception (UNMAPPED_SKU), nothing is credited."""
    await hall.post("H4", line(sku="NO-SUCH-SKU"))
    await hall.rig.cycle()
    [ln] = await hall.rig.lines("H4")
    assert (ln.state, ln.reason) == (LineState.EXCEPTION, "UNMAPPED_SKU")
    assert await hall.rig.ledger("H4") == []


async def test_a_refund_before_provisioning_cancels(hall: Hall) -> None:
    """A refund asked for while the line is only planned cancels it: nothing is credited."""
    await hall.post("H5", line(card_no=(await hall.rig.cards())[0]))
    await hall.refund_requested("H5")
    await poll_all(hall.rig.deps)
    await fulfil_due(hall.rig.deps)
    assert await _states(hall, "H5") == [LineState.CANCELLED]
    assert await hall.rig.ledger("H5") == []


async def test_a_refund_after_provisioning_goes_the_reversal_way(hall: Hall) -> None:
    """A refund asked for after the credit: the line waits in REVERSAL_PENDING, and CS's reversal
    (under the approval threshold) undoes the credit once."""
    await hall.post("H6", line(card_no=(await hall.rig.cards())[0]))
    await hall.rig.cycle()
    await hall.refund_requested("H6")
    hall.rig.later(2)
    await poll_all(hall.rig.deps)
    [ln] = await hall.rig.lines("H6")
    assert ln.state is LineState.REVERSAL_PENDING
    outcome = await reversals.request(hall.rig.deps, "cs1", ln.id, "client refunded")
    assert (outcome.status, outcome.code) == ("done", "reversed")
    [op] = await hall.rig.ledger("H6")
    assert (op["status"], op["reversals"]) == ("reversed", 1)


async def test_a_refund_above_the_threshold_waits_for_an_admin(
    tmp_path: Path, database: str, aiohttp_server: ServerFactory
) -> None:
    """With reversals above 50 yuan needing an admin, CS's request of the client's 100-yuan line waits."""
    strict = {"approval_threshold_fen": 5000}
    async with open_hall(tmp_path, database, aiohttp_server, reversal=strict) as hall:
        await hall.post("H7", line(card_no=(await hall.rig.cards())[0]))
        await hall.rig.cycle()
        await hall.refund_requested("H7")
        hall.rig.later(2)
        await poll_all(hall.rig.deps)
        [ln] = await hall.rig.lines("H7")
        outcome = await reversals.request(hall.rig.deps, "cs1", ln.id, "client refunded")
        assert outcome.code == "reversal_awaits_approval"
        assert await _states(hall, "H7") == [LineState.REVERSAL_REQUESTED]
        assert [op["status"] for op in await hall.rig.ledger("H7")] == ["applied"]


async def test_an_order_whose_intake_never_ran_is_taken_up_by_polling(
    tmp_path: Path, database: str, aiohttp_server: ServerFactory
) -> None:
    """Committed, then the process died before its intake: the next poll of the client's shop takes
    it in, and it is credited once."""
    async with open_hall(tmp_path, database, aiohttp_server, on_order=False) as hall:
        await hall.post("H8", line(card_no=(await hall.rig.cards())[0]))
        assert await hall.rig.deps.store.views.find_trades("H8") == []
        await hall.rig.cycle()
        await write_back_due(hall.rig.deps)
        assert len(await hall.rig.ledger("H8")) == 1
        assert await _states(hall, "H8") == [LineState.DELIVERED]


async def test_reconciliation_reads_the_client_s_orders(
    tmp_path: Path, database: str, aiohttp_server: ServerFactory
) -> None:
    """The day's reconciliation lists the client's shop (storefront api): a delivered order agrees, an
    order the bridge never took in is paid and unknown to it."""
    async with open_hall(tmp_path, database, aiohttp_server, on_order=False) as hall:
        await hall.post("H9", line(card_no=(await hall.rig.cards())[0]))
        await hall.rig.cycle()
        await hall.post("H10", line(card_no=(await hall.rig.cards())[0]))
        report = await reconcile_day(hall.rig.deps, datetime.now(CST).date())
        assert ShopListing(CLIENT, "api") in report.shops
        assert {(r.kind, r.shop, r.tid) for r in report.rows} == {(rc.PAID_UNKNOWN, CLIENT, "H10")}


async def test_an_order_sent_again_is_not_taken_in_again(
    tmp_path: Path, database: str, aiohttp_server: ServerFactory
) -> None:
    """The hook runs for the POST that stored the order, not for the same order sent again."""
    async with open_hall(tmp_path, database, aiohttp_server, on_order=False) as hall:
        calls: list[tuple[str, str]] = []
        hall.on_order(lambda client, order_id: calls.append((client, order_id)))
        await hall.post("H11", line())
        paid = (await hall.stored("H11")).paid_at.isoformat()
        hall.channel.clock.later(1)  # signed anew (a signature is used once)
        again = await hall.channel.post(order("H11", line(), paid_at=paid))
        assert again.status == 201
        assert calls == [(CLIENT, "H11")]
