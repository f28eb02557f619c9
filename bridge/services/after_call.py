"""The one rule for a store write that follows a remote call: it lands, even if the caller is cancelled.

Once the billing core or the marketplace has answered, the answer must reach
the store: an applied part not recorded is looked up again at best, and a
delivered trade not recorded is written back again. The daemon stops by
cancelling the jobs still running after ``shutdown_grace_s``
(``bridge.services.jobs.stop_scheduler``), waits a few seconds for them to
end, then closes the store; the event loop's own shutdown cancels whatever
task is left.

So ``record_after_call`` runs the write in its own task (a cancellation of the
caller does not reach it) and, when the caller is cancelled, keeps waiting for
the write to finish before passing the cancellation on. A bare
``asyncio.shield`` would let the caller end at once with the write still
running in the background: the stop would see the job finished and close the
store under the write. Here the cancelled job ends only after its write has
landed (or failed: the failure is logged, the cancellation still wins), so
the graceful stop's wait covers it. A cancellation repeated while waiting is
absorbed the same way; the write is bounded by the store's own timeouts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

import structlog

log = structlog.get_logger("bridge.services.after_call")
_T = TypeVar("_T")


async def record_after_call(write: Awaitable[_T]) -> _T:
    """Await ``write`` (a store write after a remote call) so that it completes even if the caller is
    cancelled meanwhile; cancelled, the caller waits for the write, then the cancellation goes on."""
    landing = asyncio.ensure_future(write)
    try:
        return await asyncio.shield(landing)
    except asyncio.CancelledError:
        await _landed(landing)
        raise


async def _landed(landing: asyncio.Future[_T]) -> None:
    """Wait until ``landing`` is over, whatever cancellations arrive meanwhile; log its failure."""
    while not landing.done():
        try:
            await asyncio.wait((landing,))
        except asyncio.CancelledError:
            continue  # cancelled again: the write still comes first
    if not landing.cancelled() and landing.exception() is not None:
        log.error("write_after_call_failed", error=repr(landing.exception()))
