"""The lab's orders on both storefronts through one bridge: each shop verified on its own records.

A Taobao shop ("main") and a Pinduoduo shop ("pdd") on the shipped sandboxes,
the bridge's jobs run a pass at a time; 60 orders dealt in turn carry every
bad kind on each storefront (and Pinduoduo's card-code orders). The verdict is
``bridge.lab.verify.verify_shops`` over both storefronts' inspector records
and the billing ledger.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from bridge.lab.sandboxes import Sandboxes, bridge_settings, pdd_shop_config
from bridge.lab.scenario import (
    BAD_KINDS,
    PDD_BAD_KINDS,
    OrderMaker,
    PlannedOrder,
    fetch_subscribers,
    place_order,
)
from bridge.lab.verify import Records, fetch_records, verify_shops
from bridge.settings import Settings
from tests.databases import ENGINES, throwaway_database
from tests.rig import open_rig

SHOPS = {"main": "taobao", "pdd": "pinduoduo"}


async def _run(
    tmp_path: Path, database: str, count: int
) -> tuple[list[PlannedOrder], Records, dict[str, Any]]:
    """``count`` orders dealt to both shops, four passes of every job, the verdict per shop."""

    def two_shops(sb: Sandboxes, workdir: Path, **sections: Any) -> Settings:
        settings = bridge_settings(sb, workdir, shops={"pdd": pdd_shop_config(sb)}, **sections)
        return settings.model_copy(update={"database": database})

    async with open_rig(tmp_path, settings_for=two_shops) as rig:
        maker = OrderMaker(rig.deps.runtime.mappings, await fetch_subscribers(rig.http, rig.sb.billing_url))
        urls = {"taobao": rig.sb.market_url, "pinduoduo": rig.sb.pdd_url}
        placed = [
            await place_order(rig.http, urls[o.storefront], o) for o in map(maker.make_split, range(count))
        ]
        for _ in range(4):
            await rig.cycle()
        records = await fetch_records(rig.http, rig.sb.market_url, rig.sb.billing_url, rig.sb.pdd_url)
        report = verify_shops(placed, records, await rig.deps.store.views.all_lines(), SHOPS)
        return placed, records, report


@pytest.fixture(scope="module", params=ENGINES)  # not the long runs' worker: this file's own unit
def run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    engine = str(request.param)
    """One 60-order run per engine, read by the tests below."""
    workdir = tmp_path_factory.mktemp("two-storefronts")

    async def go() -> dict[str, Any]:
        async with throwaway_database(engine, workdir) as dsn:
            return (await _run(workdir, dsn, 60))[2]

    return asyncio.run(go())


def test_both_shops_settle_every_line_exactly_once(run: dict[str, Any]) -> None:
    """Duplicates 0, lost 0 and no wrong reason on each shop; every valid line delivered."""
    for shop in run["shops"]:
        bad = sum(shop["exceptions"].values())
        assert (shop["duplicates"], shop["lost"], shop["wrong_reason"]) == (0, 0, 0), shop
        assert shop["delivered"] == shop["lines"] - bad, shop
        assert shop["bad_without_memo"] == 0, shop


def test_every_bad_kind_is_in_exception_with_its_reason_on_both(run: dict[str, Any]) -> None:
    """Taobao shows the six reasons; Pinduoduo those and CODES_NOT_DELIVERABLE for card codes."""
    by_name = {shop["name"]: shop for shop in run["shops"]}
    assert set(by_name["main"]["exceptions"]) == set(BAD_KINDS.values())
    assert set(by_name["pdd"]["exceptions"]) == set(PDD_BAD_KINDS.values())


def test_the_top_level_figures_are_the_shops_summed(run: dict[str, Any]) -> None:
    """Orders, lines, delivered, duplicates and lost at the top are the two shops' sums."""
    for key in ("orders", "lines", "delivered", "duplicates", "lost"):
        assert run[key] == sum(shop[key] for shop in run["shops"]), key
    assert [(s["name"], s["storefront"], s["orders"]) for s in run["shops"]] == [
        ("main", "taobao", 30),
        ("pdd", "pinduoduo", 30),
    ]


async def test_a_second_delivery_on_pinduoduo_counts_as_a_duplicate_of_its_shop(tmp_path: Path) -> None:
    """The Pinduoduo sandbox's delivery count is read: two deliveries of one order are a duplicate there."""
    placed, records, _ = await _run(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'b.sqlite'}", 2)
    pdd = next(o for o in placed if o.storefront == "pinduoduo")
    shipped = records.pdd_orders[pdd.tid or ""]["deliveries"]
    records.pdd_orders[pdd.tid or ""]["deliveries"] = [*shipped, *shipped]
    report = verify_shops(placed, records, [], SHOPS)
    assert [(s["name"], s["duplicates"]) for s in report["shops"]] == [("main", 0), ("pdd", 1)]
