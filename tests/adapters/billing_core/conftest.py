"""Shared fixtures: a sandbox served over real HTTP on port 0, a client session, a client,
and a scripted server for the client's error tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from adapters.billing_core import BillingClient
from adapters.billing_core.sandbox import BillingSandbox, RunningSandbox, start_billing_sandbox

from .helpers import Script, scripted_server


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def sandbox() -> BillingSandbox:
    return BillingSandbox()


@pytest.fixture
async def running(sandbox: BillingSandbox) -> AsyncIterator[RunningSandbox]:
    served = await start_billing_sandbox(sandbox)
    yield served
    await served.stop(grace_s=0)


@pytest.fixture
def client(http: aiohttp.ClientSession, running: RunningSandbox) -> BillingClient:
    return BillingClient(
        http,
        base_url=running.base_url,
        api_key=running.sandbox.api_key,
        secret=running.sandbox.secret,
        timeout_s=2.0,
    )


@pytest.fixture
async def scripted() -> AsyncIterator[tuple[Script, str]]:
    async with scripted_server() as served:
        yield served
