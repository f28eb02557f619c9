"""The one contract suite for ``StorefrontPort``: what every storefront's client must do.

Written against the Protocol through the ``target`` fixture; each entry of
``TARGETS`` plugs in one storefront (its client talking to its sandbox over
real HTTP on port 0) with hooks in the bridge's own words (``target``). Today:
Pinduoduo and Taobao. What differs by design is declared by the target or the
port (``delivers_codes``, ``notes``), never asked by name.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime, timedelta

import pytest

from bridge.core.errors import Ambiguous, Permanent, RateLimited, Retryable
from bridge.core.models import CST
from bridge.core.trades import DeliveryOutcome, OrderState, RefundState, Severity, TradeSummary
from bridge.ports.storefront import StorefrontPort

from .pinduoduo_target import pinduoduo
from .taobao_target import taobao
from .target import ContractTarget

TARGETS: dict[str, Callable[[], AbstractAsyncContextManager[ContractTarget]]] = {
    "pinduoduo": pinduoduo,
    "taobao": taobao,
}

CARD = "8371000011112222"


@pytest.fixture(params=sorted(TARGETS))
async def target(request: pytest.FixtureRequest) -> AsyncIterator[ContractTarget]:
    async with TARGETS[request.param]() as made:
        yield made


async def _listed(port: StorefrontPort, start: datetime, end: datetime) -> list[TradeSummary]:
    return [summary async for page in port.list_pages(start, end) for summary in page]


async def _recent(port: StorefrontPort, back: timedelta = timedelta(minutes=5)) -> list[TradeSummary]:
    now = await port.server_time()
    return await _listed(port, now - back, now + timedelta(seconds=1))


# -------------------------------------------------------------- the happy path


async def test_listing_finds_a_paid_order(target: ContractTarget) -> None:
    """A paid order is listed once, as PAID, with its lines' refund states."""
    tid = await target.place_paid(CARD)
    found = [s for s in await _recent(target.port) if s.tid == tid]
    assert len(found) == 1 and found[0].state is OrderState.PAID
    assert found[0].refunds is None or all(r is RefundState.NONE for _, r in found[0].refunds)


async def test_a_trade_reads_with_the_buyers_card_number(target: ContractTarget) -> None:
    """The full trade: text ids, paid, and the recharge account in the line's customization."""
    tid = await target.place_paid(CARD)
    trade = await target.port.get_trade(tid)
    assert (trade.tid, trade.state) == (tid, OrderState.PAID)
    (line,) = trade.lines
    assert isinstance(line.oid, str) and line.sku_code == "RC-50" and line.payment_fen == 5000
    assert line.customization is not None and CARD in line.customization


async def test_an_unknown_trade_is_permanent(target: ContractTarget) -> None:
    """Reading an order that does not exist is for a person, not for a retry."""
    with pytest.raises(Permanent):
        await target.port.get_trade(target.unknown_tid)


async def test_delivery_happens_once_and_again_is_already_shipped(target: ContractTarget) -> None:
    """First SHIPPED, then ALREADY_SHIPPED; the storefront records one delivery; the trade shows it."""
    tid = await target.place_paid(CARD)
    assert await target.port.deliver(tid) is DeliveryOutcome.SHIPPED
    assert await target.port.deliver(tid) is DeliveryOutcome.ALREADY_SHIPPED
    assert await target.delivered(tid) == 1
    assert (await target.port.get_trade(tid)).state is OrderState.SHIPPED


async def test_a_vague_refusal_of_a_shipped_trade_is_already_shipped(target: ContractTarget) -> None:
    """When the storefront refuses without saying why, a shipped trade still counts as delivered."""
    target.needs("vague_already_shipped")
    tid = await target.place_paid(CARD)
    await target.port.deliver(tid)
    await target.misbehave(vague_already_shipped=True)
    assert await target.port.deliver(tid) is DeliveryOutcome.ALREADY_SHIPPED


async def test_annotate_writes_the_note_and_its_severity(target: ContractTarget) -> None:
    """The note and severity read back; ``None`` keeps the mark while the note is cleared."""
    tid = await target.place_paid(CARD)
    await target.port.annotate(tid, "卡号无效，请联系买家", Severity.ACT)
    trade = await target.port.get_trade(tid)
    assert (trade.note, trade.note_severity) == ("卡号无效，请联系买家", Severity.ACT)
    await target.port.annotate(tid, "", None)
    trade = await target.port.get_trade(tid)
    assert (trade.note, trade.note_severity) == (None, Severity.ACT)


async def test_a_note_too_long_is_cut_to_the_rules(target: ContractTarget) -> None:
    """What the storefront keeps fits ``notes``."""
    tid = await target.place_paid(CARD)
    await target.port.annotate(tid, target.oversized_note, Severity.WATCH)
    note = (await target.port.get_trade(tid)).note
    assert note and target.port.notes.fit(note) and target.oversized_note.startswith(note)


async def test_codes_travel_with_the_delivery(target: ContractTarget) -> None:
    """A storefront that delivers codes records them with the delivery, keyed by the line."""
    if not target.port.delivers_codes:
        pytest.skip(f"the {target.name} storefront's delivery carries no codes")
    tid = await target.place_paid(CARD)
    oid = (await target.port.get_trade(tid)).lines[0].oid
    assert await target.port.deliver(tid, {oid: ["C-0001", "C-0002"]}) is DeliveryOutcome.SHIPPED
    assert await target.delivered_codes(tid) == ["C-0001", "C-0002"]


async def test_codes_are_refused_before_anything_is_sent(target: ContractTarget) -> None:
    """A storefront whose delivery carries no codes refuses them: a person decides, nothing delivered."""
    if target.port.delivers_codes:
        pytest.skip(f"the {target.name} storefront delivers codes")
    tid = await target.place_paid(CARD)
    oid = (await target.port.get_trade(tid)).lines[0].oid
    with pytest.raises(Permanent):
        await target.port.deliver(tid, {oid: ["C-0001"]})
    assert await target.delivered(tid) == 0


# -------------------------------------------------------------- refunds


async def test_a_refund_asked_before_delivery_reads_requested(target: ContractTarget) -> None:
    """REQUESTED on the line (the bridge holds it), the trade still PAID."""
    tid = await target.place_paid(CARD)
    await target.refund(tid, "requested")
    trade = await target.port.get_trade(tid)
    assert (trade.state, trade.lines[0].refund) == (OrderState.PAID, RefundState.REQUESTED)


async def test_a_refund_asked_blocks_delivery_where_the_storefront_says_so(target: ContractTarget) -> None:
    """On a storefront that refuses to deliver while a refund is asked, delivering is refused (not
    reported as shipped) and nothing is delivered."""
    if not target.blocks_delivery_while_refund_asked:
        pytest.skip(f"the {target.name} storefront does not say it refuses such a delivery")
    tid = await target.place_paid(CARD)
    await target.refund(tid, "requested")
    with pytest.raises(Permanent):
        await target.port.deliver(tid)
    assert await target.delivered(tid) == 0


async def test_a_refund_before_delivery_closes_the_trade(target: ContractTarget) -> None:
    """Refunded before shipping: CLOSED, the line REFUNDED."""
    tid = await target.place_paid(CARD)
    await target.refund(tid, "requested")
    await target.refund(tid, "success")
    trade = await target.port.get_trade(tid)
    assert (trade.state, trade.lines[0].refund) == (OrderState.CLOSED, RefundState.REFUNDED)


async def test_a_refund_after_delivery_reads_refunded(target: ContractTarget) -> None:
    """Shipped then refunded: the line REFUNDED (the bridge's reversal path), the trade in the state
    the storefront gives a refunded delivery (it stays SHIPPED, or it is CLOSED)."""
    tid = await target.place_paid(CARD)
    await target.port.deliver(tid)
    await target.refund(tid, "requested")
    await target.refund(tid, "success")
    trade = await target.port.get_trade(tid)
    assert (trade.state, trade.lines[0].refund) == (target.refunded_after_delivery, RefundState.REFUNDED)


async def test_a_withdrawn_or_refused_refund_reads_so(target: ContractTarget) -> None:
    """Refused by the seller: REFUSED; withdrawn by the buyer: NONE again."""
    tid = await target.place_paid(CARD)
    await target.refund(tid, "requested")
    await target.refund(tid, "refused")
    assert (await target.port.get_trade(tid)).lines[0].refund is RefundState.REFUSED
    await target.refund(tid, "withdrawn")
    assert (await target.port.get_trade(tid)).lines[0].refund is RefundState.NONE


# -------------------------------------------------------------- a hostile storefront


async def test_a_late_order_is_found_by_the_next_overlapping_listing(target: ContractTarget) -> None:
    """Invisible to a listing right after payment; found once its delay passed by a window
    starting where the first one did (the poll's overlap)."""
    await target.misbehave(late_listing_s=5)
    tid = await target.place_paid(CARD)
    start = await target.port.server_time() - timedelta(minutes=1)
    first = await _listed(target.port, start, await target.port.server_time())
    await target.misbehave(clock_skew_s=6)  # the storefront's clock moves on past the delay
    second = await _listed(target.port, start, await target.port.server_time())
    assert tid not in {s.tid for s in first} and tid in {s.tid for s in second}


async def test_an_order_changed_at_a_window_edge_is_in_both_windows(target: ContractTarget) -> None:
    """Windows are inclusive at both ends: an edit at the very second two windows share is in each."""
    tid = await target.place_paid(CARD)
    await target.edit(tid)
    edge = (await target.port.get_trade(tid)).modified
    before = await _listed(target.port, edge - timedelta(minutes=10), edge)
    after = await _listed(target.port, edge, edge + timedelta(minutes=10))
    assert tid in {s.tid for s in before} and tid in {s.tid for s in after}


@pytest.mark.parametrize("mischief", ["duplicates", "edits_while_paging", "partial_pages"])
async def test_every_order_is_listed_once_despite_the_pages(target: ContractTarget, mischief: str) -> None:
    """Repeated rows, orders edited while paging, short pages: all 35 orders, each handed out once
    per read (an edited one may come again, newer)."""
    target.needs(mischief)
    tids = {await target.place_paid(CARD) for _ in range(35)}
    await target.misbehave(**{mischief: True})
    port = target.make_port(page_size=10, max_retries=0)
    found = await _recent(port)
    assert tids <= {s.tid for s in found}
    reads = [(s.tid, s.modified, s.state) for s in found]
    assert len(reads) == len(set(reads))


async def test_the_call_limit_is_rate_limited(target: ContractTarget) -> None:
    """Over the call limit: ``RateLimited`` (back off), for reads and writes alike."""
    tid = await target.place_paid(CARD)
    await target.misbehave(rate_limit=True)
    port = target.make_port(max_retries=0)
    with pytest.raises(RateLimited):
        await port.get_trade(tid)
    with pytest.raises(RateLimited):
        await port.deliver(tid)
    assert await target.delivered(tid) == 0


async def test_an_expired_token_is_for_a_person_with_its_code(target: ContractTarget) -> None:
    """The seller's authorisation lapsed: a person must act (never a retry), and the code says so."""
    tid = await target.place_paid(CARD)
    await target.misbehave(expired_token=True)
    with pytest.raises(target.expired_token_error) as caught:
        await target.port.get_trade(tid)
    assert caught.value.code == target.expired_token_code


async def test_the_storefront_clock_shows_its_skew(target: ContractTarget) -> None:
    """``server_time`` is the storefront's clock, not ours."""
    await target.misbehave(clock_skew_s=120)
    skew = (await target.port.server_time() - datetime.now(CST)).total_seconds()
    assert 118 <= skew <= 122


async def test_a_slow_read_is_retryable_and_a_slow_delivery_ambiguous(target: ContractTarget) -> None:
    """No answer in time: a read may be retried; a delivery may have happened, and the next
    attempt finds it already shipped, never twice."""
    tid = await target.place_paid(CARD)
    await target.misbehave(latency_ms=400)
    port = target.make_port(timeout_s=0.1, max_retries=0)
    with pytest.raises(Retryable):
        await port.get_trade(tid)
    with pytest.raises(Ambiguous):
        await port.deliver(tid)
    await target.misbehave(latency_ms=0)
    outcome = await target.port.deliver(tid)
    assert outcome in (DeliveryOutcome.SHIPPED, DeliveryOutcome.ALREADY_SHIPPED)
    assert await target.delivered(tid) == 1
