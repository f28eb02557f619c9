"""Fixtures: a seeded sandbox on a free port, an HTTP session, and clients of it."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest

from adapters.pinduoduo import PinduoduoClient
from adapters.pinduoduo.sandbox import VIRTUAL_LOGISTICS_ID, PinduoduoSandbox, RunningSandbox, start_sandbox


@pytest.fixture
async def running() -> AsyncIterator[RunningSandbox]:
    started = await start_sandbox(sandbox=PinduoduoSandbox(rng=random.Random(7)))
    yield started
    await started.runner.cleanup()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def make_client(http: aiohttp.ClientSession, running: RunningSandbox) -> Callable[..., PinduoduoClient]:
    def make(**overrides: Any) -> PinduoduoClient:
        options: dict[str, Any] = {
            "url": running.router_url,
            "client_id": "sandbox-client",
            "client_secret": "sandbox-secret",
            "access_token": "sandbox-token",
            "logistics_id": VIRTUAL_LOGISTICS_ID,
            "max_retries": 0,
            **overrides,
        }
        return PinduoduoClient(http, **options)

    return make
