"""The line state machine: the edges that exist and the ones that must not."""

from __future__ import annotations

import pytest

from bridge.core.states import (
    FINAL,
    TRANSITIONS,
    IllegalTransition,
    LineState,
    check_transition,
    trade_ready_for_delivery,
)

S = LineState


@pytest.mark.parametrize(
    ("src", "dst"),
    [
        (S.RECEIVED, S.READY),
        (S.RECEIVED, S.EXCEPTION),
        (S.READY, S.SUBMITTED),
        (S.SUBMITTED, S.APPLIED),
        (S.SUBMITTED, S.UNKNOWN),
        (S.UNKNOWN, S.SUBMITTED),
        (S.UNKNOWN, S.APPLIED),
        (S.APPLIED, S.DELIVERED),
        (S.RECEIVED, S.HELD),
        (S.HELD, S.CANCELLED),
        (S.HELD, S.RECEIVED),
        (S.EXCEPTION, S.RECEIVED),
        (S.EXCEPTION, S.RESOLVED),
        (S.DELIVERED, S.REVERSAL_PENDING),
        (S.REVERSAL_PENDING, S.REVERSED),
        (S.REVERSAL_PENDING, S.REVERSAL_REQUESTED),
        (S.REVERSAL_PENDING, S.REVERSING),
        (S.REVERSAL_PENDING, S.RESOLVED),
        (S.REVERSAL_REQUESTED, S.REVERSING),
        (S.REVERSAL_REQUESTED, S.REVERSAL_PENDING),
        (S.REVERSING, S.REVERSED),
        (S.REVERSING, S.REVERSAL_PENDING),
    ],
)
def test_allowed_moves(src: LineState, dst: LineState) -> None:
    """The normal life of a line and its side paths are all allowed."""
    check_transition(src, dst)


@pytest.mark.parametrize(
    ("src", "dst"),
    [
        (S.RECEIVED, S.APPLIED),
        (S.READY, S.APPLIED),
        (S.READY, S.DELIVERED),
        (S.SUBMITTED, S.DELIVERED),
        (S.APPLIED, S.READY),
        (S.APPLIED, S.SUBMITTED),
        (S.DELIVERED, S.APPLIED),
        (S.CANCELLED, S.READY),
        (S.RESOLVED, S.READY),
        (S.REVERSED, S.APPLIED),
        (S.SUBMITTED, S.CANCELLED),
        (S.UNKNOWN, S.CANCELLED),
        (S.APPLIED, S.CANCELLED),
        (S.UNKNOWN, S.READY),
        (S.DELIVERED, S.REVERSING),
        (S.APPLIED, S.REVERSAL_REQUESTED),
        (S.REVERSAL_REQUESTED, S.REVERSED),
        (S.REVERSING, S.DELIVERED),
        (S.REVERSING, S.RESOLVED),
        (S.REVERSED, S.REVERSING),
    ],
)
def test_forbidden_moves(src: LineState, dst: LineState) -> None:
    """No skipping provisioning, no un-applying, no cancelling a line whose call may be in flight."""
    with pytest.raises(IllegalTransition):
        check_transition(src, dst)


def test_final_states_have_no_exit() -> None:
    """CANCELLED, RESOLVED and REVERSED are final."""
    assert {S.CANCELLED, S.RESOLVED, S.REVERSED} == FINAL
    assert all(TRANSITIONS[s] == frozenset() for s in FINAL)


@pytest.mark.parametrize(
    ("states", "ready"),
    [
        ([S.APPLIED], True),
        ([S.APPLIED, S.APPLIED], True),
        ([S.APPLIED, S.CANCELLED], True),
        ([S.APPLIED, S.RESOLVED], True),
        ([S.APPLIED, S.EXCEPTION], False),
        ([S.APPLIED, S.SUBMITTED], False),
        ([S.CANCELLED], False),
        ([S.RESOLVED, S.CANCELLED], False),
        ([], False),
    ],
)
def test_trade_ready_for_delivery(states: list[LineState], ready: bool) -> None:
    """A trade is written back once every line is settled and at least one was applied."""
    assert trade_ready_for_delivery(states) is ready
