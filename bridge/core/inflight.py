"""When a billing call may have landed, and when a "not found" may be trusted.

A part whose call went out is *maybe applied* until the billing core says
otherwise: a timeout, a reset, a crash with the call in flight, a 409 or an
unreadable answer all leave it so. Before any resend the bridge asks
``GET /v1/operations/{request_id}``; a billing core that does not deduplicate
answers 404 while a slow apply is still landing, so a 404 is trusted only once
the settle time has passed since the last send. The moment of that send is kept
with the operation (its ``result`` column, which holds nothing else until the
part is applied) as ``{"sent_at": ISO time, "sends": n}``, and, once the
bridge gave up waiting for that send's answer, ``"gave_up_at"``. Pure: no I/O.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bridge.core.states import OperationState

OP = OperationState
CALL_MARGIN_S = 2.0
"""What a line's lease must outlast beyond the billing timeout for a call to start: the outcome write."""
MAYBE_APPLIED = frozenset({OP.SENT.value, OP.UNKNOWN.value})
"""Operation states whose call went out with no answer recorded: look up before any resend."""


def may_be_applied(op_state: str) -> bool:
    """Whether a part in ``op_state`` may have been applied (so it is never cancelled as unprovisioned)."""
    return op_state != OP.PENDING.value


def sent_marker(previous: dict[str, Any] | None, now: datetime) -> dict[str, Any]:
    """What a part's ``result`` holds once a call is sent at ``now`` (counting the sends)."""
    sends = int((previous or {}).get("sends", 0)) + 1
    return {"sent_at": now.isoformat(), "sends": sends}


def restored_marker(result: dict[str, Any] | None, now: datetime) -> dict[str, Any]:
    """A part of a restored backup not known applied, as ``bridge recover`` leaves it at ``now``.

    A call for it may have gone out after the backup (and may still land on a
    billing core that applies late): it counts as sent at ``now``, so a "not
    found" is trusted only after the settle time from the recovery.
    """
    return {**(result or {}), "sent_at": now.isoformat(), "restored_at": now.isoformat()}


def gave_up_marker(result: dict[str, Any] | None, now: datetime) -> dict[str, Any]:
    """The part's ``result`` once the bridge stopped waiting for the answer to its last send at ``now``."""
    return {**(result or {}), "gave_up_at": now.isoformat()}


def sent_at(result: dict[str, Any] | None) -> datetime | None:
    """When the part's last call was sent, or ``None`` if no send was recorded."""
    return _time(result, "sent_at")


def _time(result: dict[str, Any] | None, key: str) -> datetime | None:
    value = (result or {}).get(key)
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return None
    return when if when.tzinfo is not None else None


def settles_at(result: dict[str, Any] | None, settle_s: float) -> datetime | None:
    """From when a "not found" for this part is trusted; ``None`` when no send time is known.

    The settle time counts from the later of the send (committed just before
    the call) and the moment the bridge gave up waiting for its answer (a
    timeout, a reset). On a busy host the request may leave well after the
    send was recorded; it cannot reach the billing core after the bridge gave
    up on it, so counting from then covers that lag. After a crash only the
    send time is known.

    A part marked maybe-applied by an older version kept no send time: its
    call went out before the upgrade, so long ago that it has settled.
    """
    sent = sent_at(result)
    if sent is None:
        return None
    gave_up = _time(result, "gave_up_at")
    start = gave_up if gave_up is not None and gave_up > sent else sent
    return start + timedelta(seconds=settle_s)


def not_found_is_trusted(result: dict[str, Any] | None, settle_s: float, asked_at: datetime) -> bool:
    """A 404 from a lookup *started* at ``asked_at`` means "never applied" (settle time passed)."""
    settled = settles_at(result, settle_s)
    return settled is None or asked_at >= settled
