"""The one contract suite for ``BillingPort``: what every implementation must do.

Written against the Protocol through the ``target`` fixture; each entry of
``contract_targets.TARGETS`` plugs in one implementation with the few hooks the suite needs
(cards of each sort, knobs to misbehave, a way for a subscriber to spend, a
port with other credentials). Today: ``BillingClient`` talking to the sandbox
over real HTTP on port 0.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from bridge.core.errors import Ambiguous, ConfigError, Permanent, RateLimited, Retryable, Unavailable
from bridge.core.models import CST, IssueCards, Operation, ProductKind, Recharge, Subscribe

from .contract_targets import TARGETS, Cards, ContractTarget

TWO_WAY_PRODUCT = "CH-GQYY"
CHANNEL = "CH-FYZQ"


@pytest.fixture(params=sorted(TARGETS))
async def target(request: pytest.FixtureRequest) -> AsyncIterator[ContractTarget]:
    async with TARGETS[request.param]() as made:
        yield made


def _today() -> date:
    return datetime.now(CST).date()


# -------------------------------------------------------------- reading


async def test_catalogue_has_the_43_products(target: ContractTarget) -> None:
    products = await target.port.products()
    assert len(products) == 43
    assert len({p.product_code for p in products}) == 43
    recharge = [p for p in products if p.kind is ProductKind.RECHARGE]
    assert len(recharge) == 8 and all(p.period is None for p in recharge)
    assert {p.price_fen for p in recharge} >= {5000, 200000}
    football = next(p for p in products if p.product_code == CHANNEL)
    assert (football.name, football.price_fen, football.period) == ("风云足球", 200, "month")


async def test_subscriber_lookup(target: ContractTarget) -> None:
    found = await target.port.subscriber(target.cards.active_two_way)
    assert found.card_no == target.cards.active_two_way
    assert (found.status, found.two_way) == ("active", True)
    assert found.subscriber_id and found.region and found.balance_fen >= 0


async def test_unknown_card_is_subscriber_not_found(target: ContractTarget) -> None:
    with pytest.raises(Permanent) as caught:
        await target.port.subscriber(target.cards.unknown)
    assert caught.value.code == "SUBSCRIBER_NOT_FOUND"


# ------------------------------------------------------------ operations


async def test_recharge_credits_the_balance(target: ContractTarget) -> None:
    card = target.cards.active_two_way
    before = (await target.port.subscriber(card)).balance_fen
    result = await target.port.apply(Recharge("c-recharge-1", card, 15000))
    assert (result.request_id, result.status, result.balance_fen) == (
        "c-recharge-1",
        "applied",
        before + 15000,
    )
    assert result.applied_at.tzinfo is not None and result.operation_id
    assert (await target.port.subscriber(card)).balance_fen == before + 15000


async def test_largest_single_recharge_is_accepted(target: ContractTarget) -> None:
    result = await target.port.apply(Recharge("c-max", target.cards.active_one_way, 500000))
    assert result.status == "applied"


async def test_subscribe_extends_from_the_later_of_today_and_valid_until(target: ContractTarget) -> None:
    card = target.cards.active_two_way
    first = await target.port.apply(Subscribe("c-sub-1", card, CHANNEL, 3))
    second = await target.port.apply(Subscribe("c-sub-2", card, CHANNEL, 2))
    assert first.valid_until is not None and second.valid_until is not None
    assert 3 * 28 <= (first.valid_until - _today()).days <= 3 * 31 + 1
    assert 2 * 28 <= (second.valid_until - first.valid_until).days <= 2 * 31
    held = {e.product_code: e.valid_until for e in (await target.port.subscriber(card)).entitlements}
    assert held[CHANNEL] == second.valid_until


async def test_issue_cards_returns_serials_and_pins(target: ContractTarget) -> None:
    result = await target.port.apply(IssueCards("c-cards-1", 5000, 3))
    assert len(result.cards) == 3
    assert len({c.serial for c in result.cards}) == 3
    assert all(c.pin and c.face_value_fen == 5000 and c.expires_on > _today() for c in result.cards)


async def test_replay_returns_the_original_and_applies_once(target: ContractTarget) -> None:
    card = target.cards.active_two_way
    before = (await target.port.subscriber(card)).balance_fen
    first = await target.port.apply(Recharge("c-replay", card, 5000))
    again = await target.port.apply(Recharge("c-replay", card, 5000))
    assert again == first
    assert (await target.port.subscriber(card)).balance_fen == before + 5000


async def test_replayed_cards_are_the_same_cards(target: ContractTarget) -> None:
    first = await target.port.apply(IssueCards("c-cards-replay", 10000, 2))
    assert (await target.port.apply(IssueCards("c-cards-replay", 10000, 2))).cards == first.cards


async def test_same_id_other_payload_is_idempotency_conflict(target: ContractTarget) -> None:
    """A 409 proves the request_id was used: "maybe applied" (Ambiguous), answered by a lookup."""
    card = target.cards.active_two_way
    original = await target.port.apply(Recharge("c-conflict", card, 5000))
    with pytest.raises(Ambiguous) as caught:
        await target.port.apply(Recharge("c-conflict", card, 6000))
    assert caught.value.code == "IDEMPOTENCY_CONFLICT"
    assert await target.port.find("c-conflict") == original


async def test_find_before_and_after(target: ContractTarget) -> None:
    assert await target.port.find("c-find") is None
    applied = await target.port.apply(Recharge("c-find", target.cards.active_two_way, 100))
    assert await target.port.find("c-find") == applied


async def test_a_refused_request_is_not_stored(target: ContractTarget) -> None:
    """After SUBSCRIBER_NOT_FOUND the same request_id succeeds with the corrected card."""
    with pytest.raises(Permanent):
        await target.port.apply(Recharge("c-fixed", target.cards.unknown, 5000))
    assert await target.port.find("c-fixed") is None
    fixed = await target.port.apply(Recharge("c-fixed", target.cards.active_two_way, 5000))
    assert fixed.status == "applied"


# ---------------------------------------------------------------- errors


def _ops(cards: Cards) -> dict[str, tuple[Operation, str]]:
    return {
        "months-37": (Subscribe("c-e1", cards.active_two_way, CHANNEL, 37), "INVALID_REQUEST"),
        "unknown-card": (Recharge("c-e2", cards.unknown, 5000), "SUBSCRIBER_NOT_FOUND"),
        "unknown-product": (Subscribe("c-e3", cards.active_two_way, "CH-NOPE", 1), "PRODUCT_UNKNOWN"),
        "suspended": (Recharge("c-e4", cards.suspended, 5000), "SUBSCRIBER_INACTIVE"),
        "closed": (Subscribe("c-e5", cards.closed, CHANNEL, 1), "SUBSCRIBER_INACTIVE"),
        "one-way-box": (Subscribe("c-e6", cards.active_one_way, TWO_WAY_PRODUCT, 1), "TWO_WAY_REQUIRED"),
        "500001-fen": (Recharge("c-e7", cards.active_two_way, 500001), "AMOUNT_OUT_OF_RANGE"),
        "0-fen": (Recharge("c-e8", cards.active_two_way, 0), "AMOUNT_OUT_OF_RANGE"),
    }


@pytest.mark.parametrize("case", sorted(_ops(Cards("a", "b", "c", "d"))))
async def test_refusals_are_permanent_with_their_code(target: ContractTarget, case: str) -> None:
    operation, code = _ops(target.cards)[case]
    with pytest.raises(Permanent) as caught:
        await target.port.apply(operation)
    assert caught.value.code == code
    assert await target.port.find(operation.request_id) is None


@pytest.mark.parametrize(
    ("credentials", "code", "hint"),
    [
        ({"api_key": "who-am-i"}, "UNKNOWN_KEY", "api_key"),
        ({"secret": "not-the-secret"}, "BAD_SIGNATURE", "secret"),
        ({"clock_offset_s": -301}, "SIGNATURE_EXPIRED", "clock"),
        ({"clock_offset_s": 301}, "SIGNATURE_EXPIRED", "clock"),
    ],
)
async def test_auth_refusals_are_config_errors_naming_the_culprit(
    target: ContractTarget, credentials: dict[str, Any], code: str, hint: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        await target.with_credentials(**credentials).products()
    assert caught.value.code == code
    assert hint in str(caught.value)
    assert "not-the-secret" not in str(caught.value)


async def test_clock_within_300_seconds_is_accepted(target: ContractTarget) -> None:
    assert len(await target.with_credentials(clock_offset_s=-295).products()) == 43


async def test_too_many_in_flight_is_rate_limited(target: ContractTarget) -> None:
    await target.set_knobs(max_in_flight=1, latency_ms=300)
    card = target.cards.active_two_way
    outcomes = await asyncio.gather(
        target.port.subscriber(card), target.port.subscriber(card), return_exceptions=True
    )
    refused = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(refused) == 1 and isinstance(refused[0], RateLimited)
    assert (refused[0].code, refused[0].retry_after) == ("RATE_LIMITED", 1.0)


async def test_maintenance_is_unavailable_with_retry_after(target: ContractTarget) -> None:
    await target.set_knobs(maintenance=True, maintenance_retry_after_s=120)
    with pytest.raises(Unavailable) as caught:
        await target.port.apply(Recharge("c-maint", target.cards.active_two_way, 5000))
    assert (caught.value.code, caught.value.retry_after) == ("MAINTENANCE", 120.0)
    await target.set_knobs(maintenance=False)
    assert await target.port.find("c-maint") is None


async def test_internal_error_is_retryable_and_applies_nothing(target: ContractTarget) -> None:
    await target.set_knobs(error_rate=1.0)
    with pytest.raises(Retryable) as caught:
        await target.port.apply(Recharge("c-500", target.cards.active_two_way, 5000))
    assert type(caught.value) is Retryable and caught.value.code == "INTERNAL"
    await target.set_knobs(error_rate=0.0)
    assert await target.port.find("c-500") is None


async def test_lost_answer_is_ambiguous_and_then_found(target: ContractTarget) -> None:
    await target.set_knobs(lose_answer_rate=1.0)
    with pytest.raises(Ambiguous):
        await target.port.apply(Recharge("c-lost", target.cards.active_two_way, 5000))
    found = await target.port.find("c-lost")
    assert found is not None and found.status == "applied" and found.request_id == "c-lost"


# -------------------------------------------------------------- reversal


async def test_reversing_a_recharge_takes_the_credit_back(target: ContractTarget) -> None:
    card = target.cards.active_two_way
    before = (await target.port.subscriber(card)).balance_fen
    await target.port.apply(Recharge("c-rev", card, 5000))
    reversed_ = await target.port.reverse("c-rev", "refund 1234567890")
    assert (reversed_.request_id, reversed_.status) == ("c-rev", "reversed")
    assert (await target.port.subscriber(card)).balance_fen == before
    assert await target.port.reverse("c-rev", "refund again") == reversed_
    assert await target.port.find("c-rev") == reversed_


async def test_reversing_a_subscription_shortens_the_entitlement(target: ContractTarget) -> None:
    card = target.cards.active_one_way
    first = await target.port.apply(Subscribe("c-rs-1", card, CHANNEL, 1))
    await target.port.apply(Subscribe("c-rs-2", card, CHANNEL, 2))
    await target.port.reverse("c-rs-2", "refund")
    held = {e.product_code: e.valid_until for e in (await target.port.subscriber(card)).entitlements}
    assert held[CHANNEL] == first.valid_until


async def test_reversing_unredeemed_cards(target: ContractTarget) -> None:
    await target.port.apply(IssueCards("c-rc", 5000, 1))
    assert (await target.port.reverse("c-rc", "refund")).status == "reversed"


async def test_spent_credit_cannot_be_reversed(target: ContractTarget) -> None:
    card = target.cards.active_two_way
    balance = (await target.port.apply(Recharge("c-spent", card, 5000))).balance_fen
    assert balance is not None
    await target.spend(card, balance - 100)
    with pytest.raises(Permanent) as caught:
        await target.port.reverse("c-spent", "refund")
    assert caught.value.code == "REVERSAL_NOT_ALLOWED"
    assert (await target.port.find("c-spent")) is not None


async def test_reversing_what_was_never_applied_is_operation_not_found(target: ContractTarget) -> None:
    with pytest.raises(Permanent) as caught:
        await target.port.reverse("c-never", "refund")
    assert caught.value.code == "OPERATION_NOT_FOUND"


# ---------------------------------------------------------- authorisation


async def test_authorization_refresh(target: ContractTarget) -> None:
    await target.port.refresh_authorization(target.cards.active_two_way)
    with pytest.raises(Permanent) as caught:
        await target.port.refresh_authorization(target.cards.unknown)
    assert caught.value.code == "SUBSCRIBER_NOT_FOUND"


# ------------------------------------------------- the day's listing (version 1.1)


async def test_the_days_listing_pages_through_every_operation_oldest_first(target: ContractTarget) -> None:
    card = target.cards.active_two_way
    applied = [await target.port.apply(Recharge(f"c-list-{n}", card, 100 * (n + 1))) for n in range(5)]
    cards = await target.port.apply(IssueCards("c-list-cards", 5000, 2))
    paged = await target.with_credentials(listing_page=2).list_operations(_today())
    assert paged is not None
    mine = [op for op in paged if op.request_id.startswith("c-list-")]
    assert [op.operation_id for op in mine] == [r.operation_id for r in [*applied, cards]]
    assert [op.applied for op in mine] == [
        *(Recharge(f"c-list-{n}", card, 100 * (n + 1)) for n in range(5)),
        IssueCards("c-list-cards", 5000, 2),
    ]
    assert await target.port.list_operations(_today()) == paged  # one page of 500 says the same


async def test_a_lookup_says_what_was_applied(target: ContractTarget) -> None:
    card = target.cards.active_two_way
    await target.port.apply(Subscribe("c-echo", card, CHANNEL, 2))
    found = await target.port.find("c-echo")
    assert found is not None and found.applied == Subscribe("c-echo", card, CHANNEL, 2)


async def test_another_days_listing_is_empty(target: ContractTarget) -> None:
    await target.port.apply(Recharge("c-list-other-day", target.cards.active_two_way, 100))
    assert await target.port.list_operations(_today() - timedelta(days=400)) == []


async def test_a_reversal_is_listed_on_its_day_as_reversed(target: ContractTarget) -> None:
    await target.port.apply(Recharge("c-list-rev", target.cards.active_two_way, 100))
    await target.port.reverse("c-list-rev", "refund 1")
    listed = await target.port.list_operations(_today())
    assert listed is not None
    assert [op.status for op in listed if op.request_id == "c-list-rev"] == ["reversed"]


async def test_an_old_core_applying_a_request_id_twice_lists_both(target: ContractTarget) -> None:
    await target.set_knobs(dedupe=False)
    card = target.cards.active_two_way
    first = await target.port.apply(Recharge("c-list-twice", card, 100))
    second = await target.port.apply(Recharge("c-list-twice", card, 100))
    listed = await target.port.list_operations(_today())
    assert listed is not None
    twice = [op.operation_id for op in listed if op.request_id == "c-list-twice"]
    assert twice == [first.operation_id, second.operation_id] and first.operation_id != second.operation_id


@pytest.mark.parametrize("status", [404, 405])
async def test_a_version_1_0_core_has_no_listing(target: ContractTarget, status: int) -> None:
    await target.port.apply(Recharge("c-list-old", target.cards.active_two_way, 100))
    await target.set_knobs(version="1.0", listing_absent=status)
    assert await target.port.list_operations(_today()) is None
    assert await target.port.find("c-list-old") is not None  # lookups by request_id still work


async def test_the_listing_honours_maintenance(target: ContractTarget) -> None:
    await target.set_knobs(maintenance=True, maintenance_retry_after_s=30)
    with pytest.raises(Unavailable) as caught:
        await target.port.list_operations(_today())
    assert (caught.value.code, caught.value.retry_after) == ("MAINTENANCE", 30.0)
