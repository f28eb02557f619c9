"""A bulk action on the exception queue: what was counted, and how it came out. Pure.

A person asks to retry, resolve or cancel every line of the queue's current
filter. The confirmation page offers a ``Batch``: the ids counted at that
moment (the filter's snapshot), so lines arriving later are never swept in.
Acting on it touches only those ids; one that left the queue meanwhile is
skipped and said so. ``tally`` reads the outcome from each line's audit entry
and its state now: a retried line counts once it is provisioned or back with a
person, so the report waits for the work to settle.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from bridge.core.states import IN_FLIGHT, PROVISIONED, LineState

BULK_ACTIONS = ("retry", "resolve", "cancel")
"""What a person may do to a whole filter."""
BATCH_MAX = 500
"""At most this many lines in one bulk action (the oldest first); the rest wait for the next."""
AUDIT_ACTIONS = {"retry": "retry", "resolve": "resolve", "cancel": "cancel_refund"}
"""The audit action of each line of a bulk action (the same as for one line)."""


@dataclass(frozen=True)
class Batch:
    """A bulk action offered for confirmation; ``id`` is its token and its audit batch id."""

    id: str
    action: str
    actor: str
    created_at: datetime
    started_at: datetime | None
    filter: dict[str, str]
    line_ids: tuple[int, ...]


@dataclass(frozen=True)
class Tally:
    """How a bulk action came out so far.

    ``done``: provisioned (retry), resolved or cancelled; ``again``: back with a person
    (refused, or retried and failed again); ``gone``: left the queue before the action
    reached it (skipped); ``moving``: retried and not settled yet.
    """

    done: int = 0
    again: int = 0
    gone: int = 0
    moving: int = 0

    @property
    def settled(self) -> bool:
        return self.moving == 0

    @property
    def total(self) -> int:
        return self.done + self.again + self.gone + self.moving


def line_outcome(action: str, acted: tuple[str, str], now: LineState | None) -> str:
    """One line's place in the tally: done | again | gone | moving.

    ``acted`` is the (status, code) of the line's audit entry in the batch; ``now`` its state now.
    """
    status, code = acted
    if status == "unchanged" or code == "not_found":
        return "gone"
    if status != "done":
        return "again"
    if action != "retry":
        return "done"
    if now in PROVISIONED:
        return "done"
    if now in IN_FLIGHT:
        return "moving"
    return "again"


def tally(action: str, acted: Mapping[int, tuple[str, str]], states: Mapping[int, LineState]) -> Tally:
    """The batch's outcome from each acted line's audit entry and its state now."""
    counts = {"done": 0, "again": 0, "gone": 0, "moving": 0}
    for line_id, entry in acted.items():
        counts[line_outcome(action, entry, states.get(line_id))] += 1
    return Tally(**counts)
