"""The shop's catalogue and the billing core's are two lists: ``check_mappings`` sees them drift apart.

The sandbox billing core seeds its products from its own package data, not
from the bridge's mapping files, so the check against ``GET /v1/products``
compares two independent lists, as it would with a real billing core.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from adapters.billing_core import BillingClient
from adapters.billing_core.sandbox import DEFAULT_CATALOGUE, BillingSandbox, Population, start_billing_sandbox
from bridge.core.mapping import CheckReport, Severity
from bridge.lab import DEMO_MAPPINGS
from bridge.services.mapping_check import check_mappings
from bridge.store import MappingDir


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def _check_against(sandbox: BillingSandbox, http: aiohttp.ClientSession) -> CheckReport:
    running = await start_billing_sandbox(sandbox)
    try:
        client = BillingClient(
            http, base_url=running.base_url, api_key=sandbox.api_key, secret=sandbox.secret, timeout_s=5.0
        )
        return await check_mappings(MappingDir(DEMO_MAPPINGS), client)
    finally:
        await running.stop(grace_s=0)


def _one_household() -> Population:
    return Population(active_two_way=1, active_one_way=0, suspended=0, closed=0)


async def test_the_shipped_catalogues_agree(http: aiohttp.ClientSession) -> None:
    """The demo shop's 43 products are the sandbox billing core's 43, price for price."""
    report = await _check_against(BillingSandbox(population=_one_household()), http)
    assert report.billing_checked and report.products == 43
    assert [str(problem) for problem in report.problems] == []


async def test_a_price_that_differs_from_the_billing_core_is_flagged(
    http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """The billing core charges 3 yuan for 风云足球, the shop's catalogue says 2: an error at that line."""
    text = DEFAULT_CATALOGUE.read_text(encoding="utf-8")
    raised, count = re.subn(r'(product_code = "CH-FYZQ"\n(?:.*\n)*?price_fen = )200\n', r"\g<1>300\n", text)
    assert count == 1
    catalogue = tmp_path / "catalogue.toml"
    catalogue.write_text(raised, encoding="utf-8")

    report = await _check_against(BillingSandbox(products=catalogue, population=_one_household()), http)

    assert not report.ok and report.billing_checked
    (problem,) = report.problems
    shop_file = DEMO_MAPPINGS / "catalogue.toml"
    line = shop_file.read_text(encoding="utf-8").splitlines().index('code = "CH-FYZQ"') + 4  # its price_fen
    assert (problem.file, problem.line, problem.severity) == (str(shop_file), line, Severity.ERROR)
    assert problem.field.endswith(".price_fen")
    assert problem.message == "200 fen here, 300 fen in the billing core"
