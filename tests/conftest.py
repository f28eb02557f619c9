"""Shared fixtures: structlog reset between tests; the pipeline rig (both sandboxes, a bridge on them)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import structlog

from tests.rig import Rig, open_rig


@pytest.fixture(autouse=True)
def _reset_structlog() -> Iterator[None]:
    """Each test starts with structlog's default configuration."""
    yield
    structlog.reset_defaults()


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    """Both sandboxes and a bridge on them, its services called once at a time (burst mode)."""
    async with open_rig(tmp_path) as r:
        yield r
