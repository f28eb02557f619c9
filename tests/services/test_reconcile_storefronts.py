"""Reconciling a day across storefronts, through the real Taobao and Pinduoduo sandboxes over HTTP:
a shop whose storefront cannot be listed is reported (and stored) while the other shop is still
reconciled, and a Pinduoduo disagreement is found as a Taobao one is, on both engines."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, datetime
from pathlib import Path

import pytest

from bridge.core import reconcile as rc
from bridge.core.models import CST
from bridge.core.reconcile_shops import ShopListing
from bridge.core.states import LineState
from bridge.services.reconcile import reconcile_day
from tests.rig import line
from tests.two_shops import TwoShops, two_shops

SETTLE_S = 600.0


@pytest.fixture
async def shops(tmp_path: Path, database: str) -> AsyncIterator[TwoShops]:
    async with two_shops(tmp_path, database, settle_s=SETTLE_S) as made:
        yield made


def _today() -> date:
    return datetime.now(CST).date()


async def _pdd_refuses(shops: TwoShops, how: str) -> str:
    """The Pinduoduo storefront made to refuse listing; the error code the shop is reported with."""
    if how == "down":
        await shops.pdd.runner.cleanup()
        return "PDD_UNREACHABLE"
    knobs = {"expired token": {"token_expired": True}, "rate limit": {"error_rate": {"rate_limit": 1.0}}}
    await shops.admin("/sandbox/knobs", knobs[how])
    return {"expired token": "PDD_ACCESS_TOKEN_EXPIRED", "rate limit": "PDD_RATE_LIMITED"}[how]


async def _taobao_refuses(shops: TwoShops, how: str) -> str:
    """The Taobao storefront made to refuse listing; the error code the shop is reported with."""
    rates = {"session revoked": {"session": 1.0}, "rate limit": {"call_limit": 1.0}}[how]
    shops.rig.sb.market.sandbox.update_knobs(error_rate=rates)
    return {
        "session revoked": "TAOBAO_SESSION_INVALID",
        "rate limit": "accesscontrol.limited-by-api-access-count",
    }[how]


Refusal = Callable[[TwoShops, str], Awaitable[str]]
CASES: list[tuple[str, str, str, Refusal]] = [
    ("pdd", "pinduoduo", "expired token", _pdd_refuses),
    ("pdd", "pinduoduo", "rate limit", _pdd_refuses),
    ("pdd", "pinduoduo", "down", _pdd_refuses),
    ("main", "taobao", "session revoked", _taobao_refuses),
    ("main", "taobao", "rate limit", _taobao_refuses),
]


@pytest.mark.parametrize(
    ("failing", "storefront", "how", "refuse"), CASES, ids=[f"{c[1]}-{c[2]}" for c in CASES]
)
async def test_a_shop_that_cannot_be_listed_is_reported_and_the_other_reconciled(
    shops: TwoShops, failing: str, storefront: str, how: str, refuse: Refusal
) -> None:
    """One storefront refuses; its shop is reported unlisted with the storefront's code (in the
    report and as a stored ``RECON_SHOP_UNLISTED`` row), and the other shop's order paid but never
    polled is still found."""
    rig = shops.rig
    cards = await rig.cards()
    unknown = {
        "main": await rig.order(line(), message=f"卡号{cards[0]}"),
        "pdd": await shops.pdd_order(cards[1]),
    }
    code = await refuse(shops, how)
    report = await reconcile_day(rig.deps, _today())
    other = "pdd" if failing == "main" else "main"
    [unlisted] = [s for s in report.shops if not s.listed]
    assert (unlisted.shop, unlisted.storefront, unlisted.error_code) == (failing, storefront, code)
    assert ShopListing(other, "pinduoduo" if other == "pdd" else "taobao") in report.shops
    assert {(r.kind, r.shop, r.tid) for r in report.rows} == {
        (rc.SHOP_UNLISTED, failing, None),
        (rc.PAID_UNKNOWN, other, unknown[other]),
    }
    stored = await rig.deps.store.reconcile.reconcile_run(_today())
    assert stored is not None
    [row] = [r.row for r in stored[1] if r.row.kind is rc.SHOP_UNLISTED]
    assert row.shop == failing and storefront in row.detail and code in row.detail
    assert stored[0].by_kind[rc.SHOP_UNLISTED] == 1


async def test_a_shop_listed_again_clears_its_unlisted_row(shops: TwoShops) -> None:
    """Reconciled again once the storefront answers, the day's ``RECON_SHOP_UNLISTED`` row is cleared
    and every shop reads as listed."""
    await shops.admin("/sandbox/knobs", {"token_expired": True})
    first = await reconcile_day(shops.rig.deps, _today())
    assert not first.every_shop_listed
    await shops.admin("/sandbox/knobs", {"token_expired": False})
    again = await reconcile_day(shops.rig.deps, _today())
    assert again.every_shop_listed and again.rows == ()
    stored = await shops.rig.deps.store.reconcile.reconcile_run(_today())
    assert stored is not None
    assert [(r.row.kind, r.cleared_at is not None) for r in stored[1]] == [(rc.SHOP_UNLISTED, True)]


async def test_a_pinduoduo_line_delivered_but_not_applied_is_found(shops: TwoShops) -> None:
    """A Pinduoduo line the bridge delivered whose recharge the billing core lost is a
    ``RECON_DELIVERED_NOT_APPLIED`` on the ``pdd`` shop, as it would be on a Taobao one."""
    rig = shops.rig
    cards = await rig.cards()
    order_sn = await shops.pdd_order(cards[0])
    tid = await rig.order(line(), message=f"卡号{cards[1]}")
    for _ in range(3):
        await rig.cycle()
    lines = {ln.shop: ln for ln in await rig.lines()}
    assert {(s, ln.tid, ln.state) for s, ln in lines.items()} == {
        ("pdd", order_sn, LineState.DELIVERED),
        ("main", tid, LineState.DELIVERED),
    }
    rig.sb.billing.sandbox.state.forget(lines["pdd"].operations[0].request_id)
    rig.later(2 * SETTLE_S)
    report = await reconcile_day(rig.deps, _today())
    assert report.every_shop_listed
    assert [(r.kind, r.shop, r.tid, r.oid) for r in report.rows] == [
        (rc.DELIVERED_NOT_APPLIED, "pdd", order_sn, lines["pdd"].oid)
    ]
