"""How a bulk action's outcome is read: from each line's audit entry and its state now."""

from __future__ import annotations

from bridge.core.batches import line_outcome, tally
from bridge.core.states import LineState

S = LineState


def test_a_retried_line_counts_once_it_is_provisioned_or_back_with_a_person() -> None:
    """Done when applied or delivered, again when back in EXCEPTION, moving while on its way."""
    queued = ("done", "queued")
    assert [line_outcome("retry", queued, s) for s in (S.DELIVERED, S.APPLIED)] == ["done", "done"]
    assert [line_outcome("retry", queued, s) for s in (S.READY, S.SUBMITTED, S.UNKNOWN)] == ["moving"] * 3
    assert line_outcome("retry", queued, S.EXCEPTION) == "again"


def test_a_line_that_had_left_the_queue_is_gone_and_a_refusal_stays_with_a_person() -> None:
    """Unchanged (someone else moved it first) or unknown is gone; refused is again, whatever the action."""
    assert line_outcome("retry", ("unchanged", "not_waiting"), S.RESOLVED) == "gone"
    assert line_outcome("cancel", ("refused", "not_found"), None) == "gone"
    assert line_outcome("retry", ("refused", "plan_failed"), S.EXCEPTION) == "again"
    assert line_outcome("cancel", ("refused", "maybe_applied"), S.EXCEPTION) == "again"
    assert line_outcome("resolve", ("done", "resolved"), S.RESOLVED) == "done"


def test_the_tally_is_settled_only_when_nothing_is_moving() -> None:
    acted = {1: ("done", "queued"), 2: ("done", "queued"), 3: ("unchanged", "not_waiting")}
    moving = tally("retry", acted, {1: S.DELIVERED, 2: S.SUBMITTED, 3: S.RESOLVED})
    assert (moving.done, moving.again, moving.gone, moving.moving, moving.settled) == (1, 0, 1, 1, False)
    settled = tally("retry", acted, {1: S.DELIVERED, 2: S.EXCEPTION, 3: S.RESOLVED})
    assert (settled.done, settled.again, settled.gone, settled.settled, settled.total) == (1, 1, 1, True, 3)
