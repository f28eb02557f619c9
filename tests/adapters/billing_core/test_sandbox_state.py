"""The sandbox's rules, without HTTP: seeding, idempotency, subscribe dates, reversals, cards."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from adapters.billing_core.sandbox import DEFAULT_CATALOGUE, BillingSandbox, Population, load_catalogue
from adapters.billing_core.sandbox.records import Account, OpRecord, SandboxError, add_months
from adapters.billing_core.sandbox.seed import seed_accounts
from adapters.billing_core.sandbox.state import SandboxState
from bridge.core.errors import ConfigError
from bridge.core.models import CST, IssueCards, Product, ProductKind, Recharge, Subscribe

TODAY = date(2026, 11, 24)
PRODUCTS = load_catalogue()


@dataclass
class Clock:
    now: datetime = datetime(2026, 11, 24, 10, 0, 0, 123456, tzinfo=CST)

    def __call__(self) -> datetime:
        return self.now


def _state(*accounts: Account, clock: Clock | None = None) -> SandboxState:
    return SandboxState(PRODUCTS, accounts, clock=clock or Clock())


def _account(*, card: str = "8371000000000001", **kw: Any) -> Account:
    fields: dict[str, Any] = {
        "subscriber_id": "S0000001",
        "status": "active",
        "two_way": True,
        "region": "410100",
        "balance_fen": 1000,
    }
    fields.update(kw)
    return Account(card_no=card, **fields)


def _refusal(call: object) -> str:
    assert callable(call)
    with pytest.raises(SandboxError) as caught:
        call()
    return caught.value.code


# ------------------------------------------------------------------ seeding


def test_catalogue_file_has_43_products() -> None:
    assert DEFAULT_CATALOGUE.name == "catalogue.toml" and len(PRODUCTS) == 43
    assert sum(p.kind is ProductKind.RECHARGE for p in PRODUCTS) == 8
    assert {p.product_code for p in PRODUCTS if p.requires_two_way} == {"CH-GQYY", "CH-YXFY"}


def test_a_broken_catalogue_names_the_file_and_product(tmp_path: Path) -> None:
    path = tmp_path / "catalogue.toml"
    path.write_text(
        '[[products]]\nproduct_code = "X"\nname = "x"\nkind = "channel"\nprice_fen = "two"\n'
        'period = "month"\nrequires_two_way = false\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=r"catalogue.toml: product #1: price_fen"):
        load_catalogue(path)


def test_sandbox_accepts_a_product_list() -> None:
    only = [Product("CH-ONE", "一", ProductKind.CHANNEL, 100, "month")]
    assert list(BillingSandbox(products=only, population=Population(1, 0, 0, 0)).state.products) == ["CH-ONE"]


def test_default_population() -> None:
    accounts = seed_accounts(7, Population(), PRODUCTS, TODAY)
    sorts = {(s, w): 0 for s in ("active", "suspended", "closed") for w in (True, False)}
    for a in accounts:
        sorts[(a.status, a.two_way)] += 1
    assert sorts[("active", True)] == 2000 and sorts[("active", False)] == 300
    assert sorts[("suspended", True)] + sorts[("suspended", False)] == 50
    assert sorts[("closed", True)] + sorts[("closed", False)] == 50


def test_seeded_households_look_real() -> None:
    accounts = seed_accounts(7, Population(), PRODUCTS, TODAY)
    assert all(re.fullmatch(r"8371\d{12}", a.card_no) for a in accounts)
    assert len({a.card_no for a in accounts}) == len({a.subscriber_id for a in accounts}) == 2400
    assert all(a.region.startswith("41") and a.balance_fen >= 0 for a in accounts)
    holders = [a for a in accounts if a.entitlements]
    assert 500 < len(holders) < 1200
    two_way_only = {p.product_code for p in PRODUCTS if p.requires_two_way}
    assert not any(set(a.entitlements) & two_way_only for a in accounts if not a.two_way)


def test_seeding_is_deterministic() -> None:
    first = seed_accounts(7, Population(), PRODUCTS, TODAY)
    assert seed_accounts(7, Population(), PRODUCTS, TODAY) == first
    assert seed_accounts(8, Population(), PRODUCTS, TODAY) != first


# -------------------------------------------------------------- operations


@pytest.mark.parametrize(
    ("start", "months", "end"),
    [
        (date(2026, 11, 24), 1, date(2026, 12, 24)),
        (date(2026, 11, 24), 3, date(2027, 2, 24)),
        (date(2027, 1, 31), 1, date(2027, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 12, 31), 36, date(2029, 12, 31)),
    ],
)
def test_add_months(start: date, months: int, end: date) -> None:
    assert add_months(start, months) == end


def test_subscribe_starts_today_without_an_entitlement() -> None:
    state = _state(_account())
    rec = state.apply(Subscribe("s-1", "8371000000000001", "CH-FYZQ", 3))
    assert rec.result.valid_until == date(2027, 2, 24)
    assert state.refreshes["8371000000000001"] == 1


def test_subscribe_extends_a_running_entitlement_from_its_end() -> None:
    state = _state(_account(entitlements={"CH-FYZQ": date(2027, 1, 31)}))
    rec = state.apply(Subscribe("s-1", "8371000000000001", "CH-FYZQ", 1))
    assert rec.result.valid_until == date(2027, 2, 28)


def test_subscribe_after_a_lapse_starts_today() -> None:
    state = _state(_account(entitlements={"CH-FYZQ": date(2026, 10, 1)}))
    assert state.apply(Subscribe("s-1", "8371000000000001", "CH-FYZQ", 1)).result.valid_until == date(
        2026, 12, 24
    )


def test_results_carry_ids_and_microsecond_times() -> None:
    state = _state(_account())
    rec = state.apply(Recharge("r-1", "8371000000000001", 500))
    assert rec.result.operation_id == "OP2026112400000001"
    assert rec.result.applied_at.microsecond == 123456 and rec.result.balance_fen == 1500
    assert rec.to_ledger()["applied_at"] == "2026-11-24T10:00:00.123456+08:00"


@pytest.mark.parametrize(
    ("operation", "account", "code"),
    [
        (Recharge("x", "8371000000000001", 500001), {}, "AMOUNT_OUT_OF_RANGE"),
        (Recharge("x", "8371000000000001", -5), {}, "AMOUNT_OUT_OF_RANGE"),
        (Recharge("x", "8371000000000009", 100), {}, "SUBSCRIBER_NOT_FOUND"),
        (Recharge("x", "8371000000000001", 100), {"status": "suspended"}, "SUBSCRIBER_INACTIVE"),
        (Subscribe("x", "8371000000000001", "CH-FYZQ", 1), {"status": "closed"}, "SUBSCRIBER_INACTIVE"),
        (Subscribe("x", "8371000000000001", "CH-GQYY", 1), {"two_way": False}, "TWO_WAY_REQUIRED"),
        (Subscribe("x", "8371000000000001", "CH-NONE", 1), {}, "PRODUCT_UNKNOWN"),
        (Subscribe("x", "8371000000000001", "RC-0050", 1), {}, "INVALID_REQUEST"),
        (Subscribe("x", "8371000000000001", "CH-FYZQ", 0), {}, "INVALID_REQUEST"),
        (IssueCards("x", 4200, 1), {}, "INVALID_REQUEST"),
        (IssueCards("x", 5000, 101), {}, "INVALID_REQUEST"),
    ],
)
def test_refusals_change_nothing(
    operation: Recharge | Subscribe | IssueCards, account: dict[str, Any], code: str
) -> None:
    state = _state(_account(**account))
    assert _refusal(lambda: state.apply(operation)) == code
    assert state.records == {} and state.accounts["8371000000000001"].balance_fen == 1000
    assert state.accounts["8371000000000001"].entitlements == {}


def test_refused_then_corrected_request_id_succeeds() -> None:
    state = _state(_account())
    assert _refusal(lambda: state.apply(Recharge("r-1", "8371000000000002", 100))) == "SUBSCRIBER_NOT_FOUND"
    assert state.apply(Recharge("r-1", "8371000000000001", 100)).result.balance_fen == 1100


def test_replay_applies_once_and_conflict_is_refused() -> None:
    state = _state(_account())
    first = state.apply(Recharge("r-1", "8371000000000001", 100))
    assert state.apply(Recharge("r-1", "8371000000000001", 100)) is first
    assert _refusal(lambda: state.apply(Recharge("r-1", "8371000000000001", 101))) == "IDEMPOTENCY_CONFLICT"
    assert _refusal(lambda: state.apply(IssueCards("r-1", 5000, 1))) == "IDEMPOTENCY_CONFLICT"
    assert state.accounts["8371000000000001"].balance_fen == 1100


def test_issued_cards() -> None:
    rec = _state().apply(IssueCards("c-1", 20000, 2))
    serials = [c.serial for c in rec.result.cards]
    assert serials == ["PC02000000000001", "PC02000000000002"]
    assert all(
        re.fullmatch(r"\d{16}", c.pin) and c.expires_on == date(2027, 11, 24) for c in rec.result.cards
    )
    assert [c["pin"] for c in rec.to_wire()["cards"]] == [c.pin for c in rec.result.cards]


# ---------------------------------------------------------------- reversals


def test_recharge_reversal_needs_the_balance() -> None:
    state = _state(_account())
    state.apply(Recharge("r-1", "8371000000000001", 500))
    state.spend("8371000000000001", 1200)
    assert _refusal(lambda: state.reverse("r-1", "refund")) == "REVERSAL_NOT_ALLOWED"
    assert state.records["r-1"].result.status == "applied"


def test_reversal_on_a_closed_account_is_refused() -> None:
    state = _state(_account())
    state.apply(Recharge("r-1", "8371000000000001", 500))
    state.accounts["8371000000000001"].status = "closed"
    assert _refusal(lambda: state.reverse("r-1", "refund")) == "REVERSAL_NOT_ALLOWED"


def test_subscribe_reversal_restores_the_previous_end() -> None:
    state = _state(_account(entitlements={"CH-FYZQ": date(2027, 1, 31)}))
    state.apply(Subscribe("s-1", "8371000000000001", "CH-FYZQ", 2))
    rec = state.reverse("s-1", "refund")
    assert state.accounts["8371000000000001"].entitlements == {"CH-FYZQ": date(2027, 1, 31)}
    assert (rec.result.status, rec.reversal_reason) == ("reversed", "refund")


def test_subscribe_reversal_without_a_previous_entitlement_removes_it() -> None:
    state = _state(_account())
    state.apply(Subscribe("s-1", "8371000000000001", "CH-FYZQ", 2))
    state.reverse("s-1", "refund")
    assert state.accounts["8371000000000001"].entitlements == {}


def test_reversing_an_earlier_subscribe_takes_off_only_its_days() -> None:
    state = _state(_account())
    state.apply(Subscribe("s-1", "8371000000000001", "CH-FYZQ", 1))  # to 2026-12-24: 30 days
    state.apply(Subscribe("s-2", "8371000000000001", "CH-FYZQ", 1))  # to 2027-01-24
    state.reverse("s-1", "refund")
    assert state.accounts["8371000000000001"].entitlements["CH-FYZQ"] == date(2027, 1, 24) - timedelta(
        days=30
    )


def test_redeemed_cards_cannot_be_reversed_and_reversed_cards_cannot_be_redeemed() -> None:
    state = _state(_account())
    used = state.apply(IssueCards("c-1", 5000, 2)).result.cards[0].serial
    state.redeem(used, "8371000000000001")
    assert state.accounts["8371000000000001"].balance_fen == 6000
    assert _refusal(lambda: state.reverse("c-1", "refund")) == "REVERSAL_NOT_ALLOWED"
    voided = state.apply(IssueCards("c-2", 5000, 1)).result.cards[0].serial
    state.reverse("c-2", "refund")
    assert _refusal(lambda: state.redeem(voided, "8371000000000001")) == "CARD_NOT_REDEEMABLE"
    assert _refusal(lambda: state.redeem(used, "8371000000000001")) == "CARD_NOT_REDEEMABLE"


def test_reversal_is_idempotent_and_unknown_ids_are_not_found() -> None:
    clock = Clock()
    state = _state(_account(), clock=clock)
    state.apply(Recharge("r-1", "8371000000000001", 500))
    first = state.reverse("r-1", "refund")
    clock.now += timedelta(hours=1)
    assert state.reverse("r-1", "again") is first and first.reversal_reason == "refund"
    assert state.accounts["8371000000000001"].balance_fen == 1000
    assert _refusal(lambda: state.reverse("nope", "x")) == "OPERATION_NOT_FOUND"


def test_every_change_goes_to_the_journal() -> None:
    seen: list[tuple[list[str], list[int]]] = []

    def journal(records: object, accounts: object) -> None:
        assert isinstance(records, list) and isinstance(accounts, list)
        seen.append(([r.operation.request_id for r in records], [a.balance_fen for a in accounts]))

    state = SandboxState(PRODUCTS, [_account()], clock=Clock(), journal=journal)
    state.apply(Recharge("r-1", "8371000000000001", 500))
    state.apply(Recharge("r-1", "8371000000000001", 500))  # a replay changes nothing
    state.spend("8371000000000001", 100)
    state.reverse("r-1", "refund")
    assert seen == [(["r-1"], [1500]), ([], [1400]), (["r-1"], [900])]


def test_records_know_their_card() -> None:
    state = _state(_account())
    rec: OpRecord = state.apply(Recharge("r-1", "8371000000000001", 5))
    assert rec.card_no == "8371000000000001"
    assert state.apply(IssueCards("c-1", 5000, 1)).card_no is None
