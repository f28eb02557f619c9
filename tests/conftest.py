"""Shared fixtures: structlog reset between tests; the database (each engine); the rig; a robot webhook."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import structlog

from tests.databases import ENGINES, drop_template, throwaway_database
from tests.rig import Rig, open_rig
from tests.robot_webhook import Webhook, running_webhook


@pytest.fixture(autouse=True)
def _reset_structlog() -> Iterator[None]:
    """Each test starts with structlog's default configuration."""
    yield
    structlog.reset_defaults()


@pytest.fixture(scope="session", autouse=True)
def _drop_the_template() -> Iterator[None]:
    """The session's PostgreSQL template database is dropped when the tests end."""
    yield
    asyncio.run(drop_template())


@pytest.fixture(params=ENGINES)
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """The DSN of a fresh store, once on SQLite and once on PostgreSQL (one test, both engines)."""
    async with throwaway_database(request.param, tmp_path) as dsn:
        yield dsn


@pytest.fixture
async def rig(tmp_path: Path, database: str) -> AsyncIterator[Rig]:
    """Both sandboxes and a bridge on them, its services called once at a time (burst mode)."""
    async with open_rig(tmp_path, database=database) as r:
        yield r


@pytest.fixture
async def webhook() -> AsyncIterator[Webhook]:
    """A group-chat robot's webhook on 127.0.0.1 (DingTalk and WeCom answer alike)."""
    async with running_webhook() as hook:
        yield hook
