"""The pipeline tests' rig: both sandboxes, a bridge on them, its services called once (burst mode)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.rig import Rig, line, open_rig

__all__ = ["Rig", "line", "rig"]


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    async with open_rig(tmp_path) as r:
        yield r
