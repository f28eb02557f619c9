"""An order posted to the order API taken through intake at once, not at the next poll.

``POST /api/v1/orders`` answers once the order is committed; ``posted_orders`` is the hook it then
calls (``bridge.api.context.ApiContext.on_order``): the order is read and stored by the one intake
path (``ingest_tids``, its client being its shop) in a task of its own, so the answer never waits for
it. Nothing is lost if that task fails or the process dies first: the order is in the store, and the
client's shop is polled like any shop (``bridge.services.api_shop``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import structlog

from bridge.core.errors import BridgeError
from bridge.services.deps import Deps
from bridge.services.intake import PollReport, ingest_tids

__all__ = ["ingest_posted", "posted_orders"]

log = structlog.get_logger("bridge.services.api_intake")


async def ingest_posted(deps: Deps, client: str, order_id: str) -> None:
    """Take one order just posted by ``client`` through intake now. A failure is logged, never raised:
    the order is committed, so the next poll of the client's shop takes it up instead."""
    if deps.runtime.stopping.is_set():
        return
    try:
        await ingest_tids(deps, client, [order_id], PollReport(client))
    except BridgeError as exc:  # the store's, or a refusal: the poll reads it again
        log.warning("posted_intake_failed", shop=client, tid=order_id, error=str(exc), error_kind=exc.code)
    except Exception:  # a bug: logged with its traceback; the next poll of the shop reads the order
        log.exception("posted_intake_crashed", shop=client, tid=order_id)


def posted_orders(deps: Deps) -> Callable[[str, str], None]:
    """The order API's ``on_order``: each posted order taken in by a task of its own (waited for by the
    graceful stop like the jobs' runs), the POST answered without waiting for it."""

    def start(client: str, order_id: str) -> None:
        task = asyncio.get_running_loop().create_task(ingest_posted(deps, client, order_id))
        deps.runtime.running.add(task)
        task.add_done_callback(deps.runtime.running.discard)

    return start
