"""The callbacks' sender in the daemon: wired with its own HTTP session and scheduled only with the API on."""

from __future__ import annotations

from pathlib import Path

from bridge.services.api_callbacks import send_callbacks
from bridge.services.jobs import build_scheduler
from tests.rig import open_rig


async def test_with_the_api_on_the_sender_runs_every_callback_every_s(tmp_path: Path) -> None:
    """``[api] enabled``: a poster is wired and the ``callbacks`` job runs every ``callback_every_s``."""
    async with open_rig(tmp_path, api={"enabled": True, "callback_every_s": 2}) as rig:
        job = build_scheduler(rig.deps).get_job("callbacks")
        assert rig.deps.callbacks is not None
    assert job is not None and job.trigger.interval.total_seconds() == 2


async def test_with_the_api_off_nothing_is_sent(tmp_path: Path) -> None:
    """No poster, no job; the service called by hand sends nothing."""
    async with open_rig(tmp_path) as rig:
        assert build_scheduler(rig.deps).get_job("callbacks") is None
        assert rig.deps.callbacks is None
        assert await send_callbacks(rig.deps) == 0
