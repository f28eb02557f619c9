"""The sandbox's message service (TMC) state: each group's queue of messages, pure.

The book publishes a message whenever a buyer pays, a refund is created,
succeeds or is withdrawn, or a trade closes (taobao-top.md §4.4: the content
carries ids only). The sandbox serves one app, so its queues are that app's,
one per group; a seller's messages go to the group the seller is assigned to
(``default`` unless ``assign`` said otherwise). A group must be set up before
it can be consumed: ``default`` (the system's group, the one the bridge's
configs name) always is, others once ``set_up`` or ``assign`` named them
(``taobao.tmc.group.add``). A handed-out message is "out"
until its redelivery time, then it is handed out again unless confirmed;
confirming removes it for good. How a consume picks, drops or repeats
messages (the knobs) is the handler's business (``tmc``), not this module's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

DEFAULT_GROUP = "default"


@dataclass
class QueuedMessage:
    """One message in a group's queue, with when it may be handed out again."""

    id: int
    topic: str
    content: dict[str, Any]
    user_nick: str
    user_id: int
    pub_time: datetime
    out_until: datetime | None = None
    deliveries: int = 0
    duplicate: bool = False  # a copy made by the duplicate knob (never copied again)


class MessageBoard:
    """Every group's queue of the sandbox app's messages, oldest first."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self._clock = clock
        self._next_id = 2**53 + 7  # message ids pass 2^53, as tids do
        self._queues: dict[str, dict[int, QueuedMessage]] = {}
        self._groups: dict[str, str] = {}
        self._set_up = {DEFAULT_GROUP}
        self.published = 0
        self.refuse_named_default = False
        """The strictest reading of consume's page: with no group of its own set up, an app that names
        any group, ``default`` included, is refused (the page does not say whether ``default`` counts)."""

    def set_up(self, group: str) -> None:
        """Set ``group`` up for the app (``taobao.tmc.group.add``): it may be consumed from now on."""
        self._set_up.add(group)

    def is_set_up(self, group: str) -> bool:
        """Whether the app has ``group`` (``default`` always)."""
        return group in self._set_up

    def may_name(self, group: str) -> bool:
        """Whether a consume may name ``group``: it is set up, and not ``default`` named by an app with
        no group of its own while ``refuse_named_default`` holds."""
        own = self._set_up - {DEFAULT_GROUP}
        return self.is_set_up(group) and not (
            self.refuse_named_default and group == DEFAULT_GROUP and not own
        )

    def assign(self, user_nick: str, group: str) -> None:
        """Send the seller's later messages to ``group``, set up if it was not
        (``taobao.tmc.group.add`` with the seller's nick)."""
        self.set_up(group)
        self._groups[user_nick] = group

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def publish(self, topic: str, content: dict[str, Any], user_nick: str, user_id: int) -> QueuedMessage:
        """Queue a message for the seller's group."""
        message = QueuedMessage(self._new_id(), topic, content, user_nick, user_id, self._clock())
        self._queues.setdefault(self._groups.get(user_nick, DEFAULT_GROUP), {})[message.id] = message
        self.published += 1
        return message

    def ready(self, group: str, now: datetime) -> list[QueuedMessage]:
        """The group's messages not out at ``now`` (new ones, and ones whose redelivery time passed)."""
        queue = self._queues.get(group, {})
        return [m for m in queue.values() if m.out_until is None or m.out_until <= now]

    def hand_out(self, message: QueuedMessage, until: datetime) -> None:
        message.out_until = until
        message.deliveries += 1

    def copy(self, group: str, message: QueuedMessage) -> QueuedMessage:
        """A second message with the same content and a new id, queued last (a duplicate)."""
        twin = replace(message, id=self._new_id(), out_until=None, deliveries=0, duplicate=True)
        self._queues.setdefault(group, {})[twin.id] = twin
        return twin

    def drop(self, group: str, message_id: int) -> None:
        """Lose a message: it is never handed out."""
        self._queues.get(group, {}).pop(message_id, None)

    def confirm(self, group: str, message_ids: Iterable[int]) -> int:
        """Remove confirmed messages of ``group``; how many were there (unknown ids are ignored)."""
        queue = self._queues.get(group, {})
        return sum(queue.pop(i, None) is not None for i in message_ids)

    def pending(self, group: str = DEFAULT_GROUP) -> list[QueuedMessage]:
        """Every unconfirmed message of ``group``, out or not (for tests and stats)."""
        return list(self._queues.get(group, {}).values())
