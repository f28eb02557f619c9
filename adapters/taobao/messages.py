"""The message service's (TMC) wire shapes, read into ``PushMessage`` records.

``taobao.tmc.messages.consume`` answers ``messages.tmc_message[]`` (or a plain
list when simplified; absent when there is nothing), each with an ``id``, a
``topic`` and a ``content`` that is itself a JSON text carrying ids only
(taobao-top.md §4.3–4.4), read into the storefront port's ``PushMessage`` (ids as
text, the seller's nick as ``shop_account``). One malformed message never spoils the batch: it is
reported with its id (when that is readable), so the caller can confirm it
and leave the trade to polling.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from adapters.taobao.wire import DATA_INVALID, WireId, WireTime, data_invalid, to_id, unlist
from bridge.core.errors import Permanent
from bridge.core.trades import PushBatch, PushMessage


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class WireMessage(_Wire):
    """One ``tmc_message`` of the consume answer (``content`` still a JSON text)."""

    id: WireId
    topic: str
    content: str
    user_nick: str | None = None
    pub_time: WireTime | None = None


class WireContent(_Wire):
    """The ids a trade or refund topic carries (taobao-top.md §4.4)."""

    tid: WireId | None = None
    oid: WireId | None = None
    refund_id: WireId | None = None
    seller_nick: str | None = None


def _message_id(raw: object) -> str | None:
    if not isinstance(raw, dict):
        return None
    try:
        return str(to_id(raw.get("id")))
    except ValueError:
        return None


def _text(value: int | None) -> str | None:
    return None if value is None else str(value)


def parse_message(raw: object) -> PushMessage:
    """One ``tmc_message`` as a ``PushMessage``; ``Permanent`` naming the message and field."""
    shown = _message_id(raw) or "?"
    try:
        wire = WireMessage.model_validate(raw)
    except ValidationError as exc:
        raise data_invalid(f"message {shown}", exc) from None
    try:
        decoded = json.loads(wire.content)
    except json.JSONDecodeError:
        raise Permanent(f"message {wire.id}: field content: not a JSON text", code=DATA_INVALID) from None
    try:
        content = WireContent.model_validate(decoded)
    except ValidationError as exc:
        raise data_invalid(f"message {wire.id}: content", exc) from None
    return PushMessage(
        message_id=str(wire.id),
        topic=wire.topic,
        tid=_text(content.tid),
        oid=_text(content.oid),
        refund_id=_text(content.refund_id),
        shop_account=wire.user_nick or content.seller_nick or None,
        published=wire.pub_time,
    )


def parse_consumed(payload: dict[str, Any]) -> PushBatch:
    """The consume payload as readable messages plus (id, problem) for each unreadable one."""
    items = unlist(payload.get("messages"), "tmc_message")
    if not isinstance(items, list):
        raise Permanent("messages: field messages: not a list", code=DATA_INVALID)
    messages: list[PushMessage] = []
    unreadable: list[tuple[str | None, str]] = []
    for raw in items:
        try:
            messages.append(parse_message(raw))
        except Permanent as exc:
            unreadable.append((_message_id(raw), str(exc)))
    return PushBatch(tuple(messages), tuple(unreadable))


def parse_confirmed(payload: dict[str, Any]) -> bool:
    """``is_success`` of ``taobao.tmc.messages.confirm``."""
    ok = payload.get("is_success")
    if not isinstance(ok, bool):
        raise Permanent("confirm: field is_success: missing or not a boolean", code=DATA_INVALID)
    return ok
