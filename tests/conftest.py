"""Shared fixtures: structlog reset; the database (each engine); the pipeline rig; a robot webhook.

The suite runs on three pytest-xdist workers (``-n 3`` in pyproject's addopts: most tests wait
on a daemon, a lease or a socket, so three keep the machine's two cores busier than two did). A
module-scoped fixture (a torture run, a daemon scenario, a built wheel) is set up once per worker
that runs one of its tests, so the scheduler below keeps each file on one worker, and every long
run (a test id ending ``[sqlite-run]`` or ``[postgresql-run]``) on one worker, in turn; those are
collected first, so the long runs start at once while the other workers take the rest.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import structlog
from xdist.scheduler import LoadScopeScheduling

from bridge.store import SqlStore, open_store
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
async def store(database: str) -> AsyncIterator[SqlStore]:
    """The store opened on ``database``, closed afterwards (a module may keep its own ``store``)."""
    opened = await open_store(database)
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture(scope="module", params=ENGINES, ids=[f"{e}-run" for e in ENGINES])
def engine(request: pytest.FixtureRequest) -> str:
    """An engine name for a module's one shared run (a torture, a daemon scenario): once per engine.

    The run makes its database itself (``throwaway_database(engine, workdir)``), inside its own
    event loop, before any test's ``tmp_path`` exists.
    """
    return str(request.param)


@pytest.fixture
async def rig(tmp_path: Path, database: str) -> AsyncIterator[Rig]:
    """Both sandboxes and a bridge on them, its services called once at a time (burst mode)."""
    async with open_rig(tmp_path, database=database) as r:
        yield r


def _shared_engine_run(nodeid: str) -> str | None:
    """The engine of a test that reads a module's long run (its id ends ``[sqlite-run]`` or so)."""
    return next((engine for engine in ENGINES if nodeid.endswith(f"[{engine}-run]")), None)


class _SharedRunScheduling(LoadScopeScheduling):
    """Work units: every long run in one unit, else one test file per unit.

    One worker takes the long runs in turn while the others take everything else: two tortures
    never compete for the two cores (their chaos must land on a daemon at work), nor two
    PostgreSQL runs for the server's 100 connections (three daemons and the harness use most).
    A file is otherwise a unit, so a module-scoped fixture is set up once.
    """

    def _split_scope(self, nodeid: str) -> str:
        return "long runs" if _shared_engine_run(nodeid) else nodeid.split("::", 1)[0]


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> _SharedRunScheduling:
    return _SharedRunScheduling(config, log)


@pytest.hookimpl(trylast=True)  # after pytest has ordered the items by fixture parameter
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The long runs first, then the other slow files, then the rest: the workers start on the long ones."""

    def rank(item: pytest.Item) -> int:
        if _shared_engine_run(item.nodeid):
            return 0
        return 1 if item.get_closest_marker("slow") else 2

    items.sort(key=rank)  # stable: the order within each part is kept


@pytest.fixture
async def webhook() -> AsyncIterator[Webhook]:
    """A group-chat robot's webhook on 127.0.0.1 (DingTalk and WeCom answer alike)."""
    async with running_webhook() as hook:
        yield hook
