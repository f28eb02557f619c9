"""Fixtures: a seeded sandbox on a free port, an HTTP session, clients and a shopper."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest

from adapters.taobao import TaobaoClient
from adapters.taobao.sandbox import RunningSandbox, TaobaoSandbox, start_sandbox

from .helpers import APP_KEY, APP_SECRET, SESSION_KEY, OffsetClock, Shopper


@pytest.fixture
def clock() -> OffsetClock:
    return OffsetClock()


@pytest.fixture
async def running(clock: OffsetClock) -> AsyncIterator[RunningSandbox]:
    sandbox = TaobaoSandbox(rng=random.Random(20240501), clock=clock)
    started = await start_sandbox(sandbox=sandbox)
    yield started
    await started.runner.cleanup()


@pytest.fixture
def sandbox(running: RunningSandbox) -> TaobaoSandbox:
    return running.sandbox


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def sleeps() -> list[float]:
    """Every back-off the client asked for (the fake sleep returns at once)."""
    return []


@pytest.fixture
def make_client(
    http: aiohttp.ClientSession, running: RunningSandbox, sleeps: list[float]
) -> Callable[..., TaobaoClient]:
    def make(**overrides: Any) -> TaobaoClient:
        async def fake_sleep(seconds: float) -> None:
            sleeps.append(seconds)

        options: dict[str, Any] = {
            "url": running.router_url,
            "app_key": APP_KEY,
            "app_secret": APP_SECRET,
            "session_key": SESSION_KEY,
            "sleep": fake_sleep,
            **overrides,
        }
        return TaobaoClient(http, **options)

    return make


@pytest.fixture
def client(make_client: Callable[..., TaobaoClient]) -> TaobaoClient:
    return make_client()


@pytest.fixture
def shopper(http: aiohttp.ClientSession, running: RunningSandbox) -> Shopper:
    return Shopper(http, running.url)
