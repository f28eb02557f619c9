"""Group commit of applied parts: the outcomes of calls that return together are recorded together.

Each provisioning task hands its applied part to ``AppliedWriter.record`` and
waits for the line as it now is. While one write is in progress, the parts
that arrive meanwhile wait and go in the next write, all in one transaction
(``record_applied_many``): under load a write carries many lines, when idle a
part is written at once, so nothing waits for a timer.

Invariants:
- Only outcomes are grouped. The commit that must precede a call (SUBMITTED,
  the part SENT) is each line's own, before its call, as before.
- A write runs in its own task, so a provisioning task cancelled while it waits
  (shutdown) does not cancel the write of its outcome; the task waits for it
  through ``record_after_call`` (``bridge.services.after_call``), like every
  write after a remote call.
- One line appears at most once in a write (a line has one part in flight).
- A failed group write is tried again part by part, so one part the store
  refuses fails only its own line; that line's part stays SENT and is looked
  up before any resend, as after any lost outcome.
"""

from __future__ import annotations

import asyncio

import structlog

from bridge.core.errors import StoreUnavailable
from bridge.core.records import Applied, LineRecord
from bridge.services.deps import Deps

log = structlog.get_logger("bridge.services.applied_writer")


class AppliedWriter:
    """Writes applied parts in groups for the tasks of one fulfilment pass."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps
        self._waiting: list[tuple[Applied, asyncio.Future[LineRecord | None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def record(self, applied: Applied) -> LineRecord | None:
        """The line after recording ``applied``; None when its lease moved on (fenced out)."""
        done: asyncio.Future[LineRecord | None] = asyncio.get_running_loop().create_future()
        self._waiting.append((applied, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_all())
        return await done

    async def _write_all(self) -> None:
        while self._waiting:
            group, self._waiting = self._waiting, []
            await self._write(group)

    async def _write(self, group: list[tuple[Applied, asyncio.Future[LineRecord | None]]]) -> None:
        deps = self._deps
        try:
            fresh = await deps.store.operations.record_applied_many(
                [a for a, _ in group], deps.owner, deps.clock()
            )
        except StoreUnavailable as exc:  # each part on its own: a conflict of the group may spare them
            await self._one_by_one(group, exc)
            return
        except Exception as exc:  # a bug: logged with its traceback; one bad part must not fail the
            # others (each on its own), and its own task gets the error: the part stays SENT, looked up
            log.exception("applied_write_crashed", parts=len(group))
            await self._one_by_one(group, exc)
            return
        for (_, done), line in zip(group, fresh, strict=True):
            if not done.done():
                done.set_result(line)

    async def _one_by_one(
        self, group: list[tuple[Applied, asyncio.Future[LineRecord | None]]], exc: Exception
    ) -> None:
        """The group's parts written one at a time; a part written alone that failed gets ``exc``."""
        if len(group) == 1:
            _settle(group[0][1], exc)
            return
        log.warning("applied_group_write_failed", parts=len(group), error=str(exc))
        for one in group:
            await self._write([one])


def _settle(done: asyncio.Future[LineRecord | None], exc: BaseException) -> None:
    if not done.done():
        done.set_exception(exc)
