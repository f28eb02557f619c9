"""``taobao.tmc.messages.consume`` / ``confirm``: the message service's HTTP pair, with its faults.

Consume hands out up to ``quantity`` (10–200) of the group's messages that
are not out, oldest first, and marks them out until ``tmc_redelivery_s``
from now; confirm (``s_message_ids``, at most 200) removes them for good
(taobao-top.md §4.3). Consuming a ``group_name`` the app has not set up is
refused, as the method's documentation says it is (the code is not
documented: the sandbox answers ``isv.invalid-parameter:group_name``; see
docs/storefronts/taobao-push.md); no ``group_name`` means ``default``.
The knobs make it as unreliable as the real service may be: a message first
handed out may be lost (``tmc_drop_rate``) or also queued again under a new
id (``tmc_duplicate_rate``; the copy itself is neither lost nor copied
again), and a consume may pick and shuffle at random (``tmc_reorder_rate``).
Dice are rolled only for a knob that is on, so the other faults' stream is
unchanged when these are off.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from adapters.taobao.sandbox.board import DEFAULT_GROUP, QueuedMessage
from adapters.taobao.sandbox.book import TradeBook
from adapters.taobao.sandbox.controls import Controls
from adapters.taobao.sandbox.protocol import Call, invalid
from adapters.taobao.signing import format_timestamp

_MAX_CONFIRM = 200


def _wire(message: QueuedMessage, app_key: str) -> dict[str, Any]:
    return {
        "id": message.id,
        "topic": message.topic,
        "content": json.dumps(message.content, ensure_ascii=False),
        "pub_time": format_timestamp(message.pub_time),
        "pub_app_key": app_key,
        "user_id": message.user_id,
        "user_nick": message.user_nick,
    }


def _chance(controls: Controls, rate: float) -> bool:
    return rate > 0 and controls.faults_rng.random() < rate


def _pick(book: TradeBook, controls: Controls, group: str, quantity: int) -> list[QueuedMessage]:
    knobs, stats, board = controls.knobs, controls.stats, book.messages
    now = book.now()
    ready = board.ready(group, now)
    if len(ready) > 1 and _chance(controls, knobs.tmc_reorder_rate):
        controls.faults_rng.shuffle(ready)
    picked: list[QueuedMessage] = []
    for message in ready:
        if len(picked) == quantity:
            break
        if message.deliveries:
            stats.messages["redelivered"] += 1
        elif not message.duplicate:  # an original: the copies add to it, they are not lost again
            if _chance(controls, knobs.tmc_drop_rate):
                board.drop(group, message.id)
                stats.messages["dropped"] += 1
                continue
            if _chance(controls, knobs.tmc_duplicate_rate):
                board.copy(group, message)
                stats.messages["duplicated"] += 1
        board.hand_out(message, now + timedelta(seconds=knobs.tmc_redelivery_s))
        picked.append(message)
    stats.messages["handed_out"] += len(picked)
    return picked


def consume(book: TradeBook, controls: Controls, call: Call) -> dict[str, Any]:
    named = call.get("group_name")
    group = named or DEFAULT_GROUP
    if named and not book.messages.may_name(named):
        raise invalid("group_name", f"the app has not set up the message group {group!r}")
    quantity = call.integer("quantity", 100, 10, 200) or 100
    app_key = call.params.get("app_key", "")
    messages = [_wire(m, app_key) for m in _pick(book, controls, group, quantity)]
    if not messages:
        return {}
    return {"messages": messages if call.simplify else {"tmc_message": messages}}


def confirm(book: TradeBook, controls: Controls, call: Call) -> dict[str, Any]:
    group = call.get("group_name") or DEFAULT_GROUP
    texts = [t.strip() for t in call.require("s_message_ids").split(",")]
    if len(texts) > _MAX_CONFIRM:
        raise invalid("s_message_ids", f"at most {_MAX_CONFIRM} ids per call, got {len(texts)}")
    if not all(t.isdigit() for t in texts):
        raise invalid("s_message_ids", "s_message_ids must be message ids separated by commas")
    controls.stats.messages["confirmed"] += book.messages.confirm(group, (int(t) for t in texts))
    return {"is_success": True}
