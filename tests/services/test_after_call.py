"""``record_after_call`` on its own: a write held open by hand, its caller cancelled around it."""

from __future__ import annotations

import asyncio

import pytest
from structlog.testing import capture_logs

from bridge.services.after_call import record_after_call


class _Write:
    """A store write that starts at once and finishes (or fails) only when the test says so."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.release = asyncio.Event()
        self.landed = False

    async def __call__(self, fail: bool = False) -> str:
        self.started.set()
        await self.release.wait()
        if fail:
            raise OSError("disk full")
        self.landed = True
        return "written"


async def _cancelled_twice(write: _Write, caller: asyncio.Task[str]) -> None:
    await write.started.wait()
    caller.cancel()
    await asyncio.sleep(0)
    caller.cancel()  # the loop's own shutdown cancels again
    await asyncio.sleep(0)
    assert not caller.done()
    write.release.set()


async def test_a_caller_cancelled_twice_still_ends_only_once_the_write_landed() -> None:
    """A second cancel while waiting for the write is absorbed; the caller then ends cancelled."""
    write = _Write()
    caller = asyncio.create_task(record_after_call(write()))
    await _cancelled_twice(write, caller)
    with pytest.raises(asyncio.CancelledError):
        await caller
    assert write.landed


async def test_a_write_that_fails_while_its_caller_is_cancelled_is_logged() -> None:
    """The cancellation still goes on; the write's failure is not lost silently."""
    write = _Write()
    caller = asyncio.create_task(record_after_call(write(fail=True)))
    with capture_logs() as logs:
        await write.started.wait()
        caller.cancel()
        await asyncio.sleep(0)
        write.release.set()
        with pytest.raises(asyncio.CancelledError):
            await caller
    assert [e["event"] for e in logs] == ["write_after_call_failed"]
    assert "disk full" in logs[0]["error"]


async def test_uncancelled_the_write_s_answer_and_error_reach_the_caller() -> None:
    """Nothing cancelled: the caller gets what the write returns, or what it raises."""
    write = _Write()
    write.release.set()
    assert await record_after_call(write()) == "written"
    with pytest.raises(OSError, match="disk full"):
        await record_after_call(write(fail=True))
