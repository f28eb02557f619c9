"""The callbacks' sender: POST each due notification of the outbox, signed, until a 2xx comes back.

``send_callbacks(deps)`` runs every ``[api] callback_every_s`` (``bridge.services.jobs``):
it claims due rows with a lease (so two instances never send one row at once),
POSTs each one's stored payload as JSON to its URL with the client's signature
and ``Idempotency-Key`` (``bridge.core.callbacks``), at most ``callback_concurrency``
at a time, each bounded by ``callback_timeout_s``. A 2xx acknowledges; any other
status, or no answer, is one more attempt and the next try on the schedule (for
ever: at least once). The outcome is written even if the job is cancelled
(``record_after_call``). Logs name the URL's host, the key and the status, never
the secret or the signature.
"""

from __future__ import annotations

import asyncio
import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog

from bridge.core.callbacks import CallbackRecord, callback_headers, retry_delay, url_host
from bridge.core.errors import Retryable
from bridge.core.records import AuditNote
from bridge.ports import ApiCallbackStorePort, MetricsPort
from bridge.ports.callbacks import CallbackPosterPort
from bridge.services.after_call import record_after_call
from bridge.services.audit import Outcome, OutcomeStatus
from bridge.services.deps import Clock, Deps
from bridge.settings_api import ApiSettings

__all__ = ["RESEND", "Sender", "resend_callback", "send_callbacks", "send_due"]

log = structlog.get_logger("bridge.services.api_callbacks")

_LEASE_MARGIN_S = 30.0  # a lease outlives the try it covers by this much
RESEND = "callback_resend"
"""The audit log's action for CS's resend."""


@dataclass(frozen=True)
class Sender:
    """What sending needs: the outbox, the poster, the ``[api]`` settings, the clock, this instance."""

    outbox: ApiCallbackStorePort
    poster: CallbackPosterPort
    api: ApiSettings
    clock: Clock
    owner: str
    rng: random.Random
    metrics: MetricsPort


async def send_callbacks(deps: Deps) -> int:
    """The scheduler's job: send what is due (nothing without a poster, i.e. with the API off)."""
    if deps.callbacks is None:
        return 0
    sender = Sender(
        deps.store.api_callbacks,
        deps.callbacks,
        deps.settings.api,
        deps.clock,
        deps.owner,
        deps.rng,
        deps.metrics,
    )
    return await send_due(sender)


async def send_due(sender: Sender) -> int:
    """Claim the due callbacks and try each once; how many were acknowledged."""
    api = sender.api
    lease_s = api.callback_timeout_s + _LEASE_MARGIN_S
    due = await sender.outbox.claim_due(sender.owner, sender.clock(), lease_s, api.callback_batch)
    if not due:
        return 0
    gate = asyncio.Semaphore(api.callback_concurrency)

    async def one(callback: CallbackRecord) -> bool:
        async with gate:
            return await _try(sender, callback)

    acknowledged = await asyncio.gather(*(one(c) for c in due))
    return sum(acknowledged)


async def _try(sender: Sender, callback: CallbackRecord) -> bool:
    client = sender.api.clients.get(callback.client)
    host = url_host(callback.url)
    status: int | None = None
    if client is None:  # the client left the settings: kept pending (visible) until it comes back
        error = "client not configured"
    else:
        body = json.dumps(callback.payload, ensure_ascii=False, separators=(",", ":")).encode()
        stamp = int(sender.clock().timestamp())
        secret = client.secret.get_secret_value()
        headers = callback_headers(client.key_id, secret, callback.url, body, stamp, callback.event_key)
        try:
            status = await sender.poster.post(callback.url, body, headers, sender.api.callback_timeout_s)
            error = f"HTTP {status}"
        except Retryable as exc:
            error = exc.message
    if status is not None and 200 <= status < 300:
        await record_after_call(sender.outbox.acknowledge(callback.id, sender.owner, status, sender.clock()))
        sender.metrics.callback_attempt("acknowledged")
        log.info("callback_acknowledged", host=host, callback=callback.event_key, status=status)
        return True
    await record_after_call(
        sender.outbox.record_failure(callback.id, sender.owner, status, error, _next_at(sender, callback))
    )
    sender.metrics.callback_attempt("refused" if status is not None else "no_answer")
    log.warning("callback_failed", host=host, callback=callback.event_key, status=status, error=error)
    return False


def _next_at(sender: Sender, callback: CallbackRecord) -> datetime:
    return sender.clock() + timedelta(seconds=retry_delay(callback.attempts + 1, sender.rng))


async def resend_callback(deps: Deps, actor: str, client: str, order_id: str, key: str) -> Outcome:
    """CS sends the order's callback ``key`` again (same key: the channel deduplicates on it), at the
    sender's next look; audited with the change. Refused when the order has no callback of that key."""
    note = AuditNote(deps.clock(), actor, RESEND, OutcomeStatus.DONE.value, None, {"code": "callback.resent"})
    if not await deps.store.api_callbacks.resend(client, order_id, key, deps.clock(), note):
        return Outcome(OutcomeStatus.REFUSED, "callback.not_found")
    log.info("callback_resend", client=client, order_id=order_id, callback=key, actor=actor)
    return Outcome(OutcomeStatus.DONE, "callback.resent")
