"""A posted order's intake at once (``bridge.services.api_intake``): a failure is logged and left to
polling, never raised into the task; nothing starts while the daemon stops."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from bridge.core.errors import StoreUnavailable
from bridge.services.api_intake import ingest_posted
from tests.api.channel import line
from tests.api.conftest import ServerFactory
from tests.api.hall import CLIENT, Hall, open_hall
from tests.rig import with_role


class _Refusing:
    """The intake role of a database that cannot answer."""

    async def known_versions(self, *args: Any, **kwargs: Any) -> Any:
        raise StoreUnavailable("connection refused", code="STORE_CONNECTION")


@pytest.fixture
async def hall(tmp_path: Path, database: str, aiohttp_server: ServerFactory) -> AsyncIterator[Hall]:
    """The client ``hall``'s API without the intake hook: each test takes the order in itself."""
    async with open_hall(tmp_path, database, aiohttp_server, on_order=False) as opened:
        await opened.post("H1", line(card_no=(await opened.rig.cards())[0]))
        yield opened


async def test_a_posted_order_is_taken_in(hall: Hall) -> None:
    """The order is stored as the client's trade and its line planned."""
    await ingest_posted(hall.rig.deps, CLIENT, "H1")
    assert [ln.oid for ln in await hall.rig.lines("H1")] == ["1"]


async def test_a_store_failure_is_logged_and_left_to_polling(hall: Hall) -> None:
    """The store refusing: the intake logs it and returns (the task ends well); nothing is stored."""
    deps = dataclasses.replace(hall.rig.deps, store=with_role(hall.rig.deps.store, "intake", _Refusing()))
    with capture_logs() as logs:
        await ingest_posted(deps, CLIENT, "H1")
    assert [e["error_kind"] for e in logs if e["event"] == "posted_intake_failed"] == ["STORE_CONNECTION"]
    assert await hall.rig.deps.store.views.find_trades("H1") == []


async def test_nothing_is_taken_in_while_the_daemon_stops(hall: Hall) -> None:
    """Once the stop began, a posted order waits for the next start's poll."""
    hall.rig.deps.runtime.stopping.set()
    await ingest_posted(hall.rig.deps, CLIENT, "H1")
    assert await hall.rig.deps.store.views.find_trades("H1") == []
