"""Reversals after delivery: CS requests, an admin approves above the threshold, the bridge reverses.

    request          REVERSAL_PENDING → REVERSING (its parts recorded), or REVERSAL_REQUESTED when the
                     line paid more than ``reversal.approval_threshold_fen``; then one reversal pass
    approve          REVERSAL_REQUESTED → REVERSING (admins only); then one reversal pass
    reject           REVERSAL_REQUESTED → REVERSAL_PENDING with the reason (admins only)
    settle_by_hand   REVERSAL_PENDING → RESOLVED: the refund was settled outside the bridge
                     (e.g. the billing core cannot reverse a credit already spent)
    reverse_due      the job (``bridge.services.reversal_job``): claim REVERSING lines with a lease
                     and undo each part

Each person's action is a compare-and-set out of the state they saw and leaves
one audit entry (``cs_actions``' audit), so a second click changes nothing. The
entry commits with the decision (the store's move takes it); when the bridge
then performs the reversal at once, the entry is brought up to what that came
to (reversed, refused by the billing core), as the person is told.

The undoing itself is the job's: ``bridge.services.reversal_job``.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

import structlog

from bridge.core.records import AuditNote
from bridge.core.reversals import (
    needs_approval,
    parts_to_reverse,
)
from bridge.core.states import LineState
from bridge.services.audit import Outcome, OutcomeStatus, audit_note, audited
from bridge.services.audit import finish as _finish
from bridge.services.cs_actions import _load
from bridge.services.deps import Deps
from bridge.services.reversal_job import reverse_due

log = structlog.get_logger("bridge.services.reversals")
S = LineState


# ------------------------------------------------------------------ a person's actions


async def request(deps: Deps, actor: str, line_id: int, note: str = "") -> Outcome:
    """CS asks for the line's reversal; above the threshold it waits for an admin."""
    action = "reversal_request"
    found = await _load(deps, line_id, (S.REVERSAL_PENDING,))
    if isinstance(found, Outcome):
        return await _finish(deps, actor, action, found, note)
    parts = parts_to_reverse(found)
    if not parts:
        refusal = Outcome(OutcomeStatus.REFUSED, "nothing_to_reverse", found)
        return await _finish(deps, actor, action, refusal, note)
    approval = needs_approval(found, deps.settings.reversal.approval_threshold_fen)
    detail = {"amount_fen": found.payment_fen, "approval": approval}
    done = Outcome(OutcomeStatus.DONE, "reversal_awaits_approval" if approval else "reversal_started", found)
    entry = audit_note(deps, actor, action, done, note, detail)
    moved = await deps.store.reversals.request_reversal(
        found, parts, approval=approval, note=note, now=deps.clock(), actor=actor, audit=entry
    )
    if not moved:
        return await _finish(
            deps, actor, action, Outcome(OutcomeStatus.UNCHANGED, "not_waiting", found), note, detail
        )
    if approval:
        return done
    return await _performed(deps, entry, done, note, detail)


async def approve(deps: Deps, actor: str, line_id: int, *, admin: bool, note: str = "") -> Outcome:
    """An admin approves a requested reversal; the bridge performs it at once."""
    action = "reversal_approve"
    found = await _load(deps, line_id, (S.REVERSAL_REQUESTED,))
    if isinstance(found, Outcome):
        return await _finish(deps, actor, action, found, note)
    if not admin:
        return await _finish(deps, actor, action, Outcome(OutcomeStatus.REFUSED, "admin_only", found), note)
    detail = {"amount_fen": found.payment_fen}
    done = Outcome(OutcomeStatus.DONE, "reversal_started", found)
    entry = audit_note(deps, actor, action, done, note, detail)
    moved = await deps.store.reversals.approve_reversal(
        found, parts_to_reverse(found), note=note, now=deps.clock(), actor=actor, audit=entry
    )
    if not moved:
        return await _finish(
            deps, actor, action, Outcome(OutcomeStatus.UNCHANGED, "not_waiting", found), note, detail
        )
    return await _performed(deps, entry, done, note, detail)


async def _performed(
    deps: Deps, entry: AuditNote, decided: Outcome, note: str, detail: dict[str, Any]
) -> Outcome:
    """One reversal pass right after the decision, and what the person is told: reversed, refused
    by the billing core (with its reason), or still going (a lost answer waits to be looked up).
    The decision's audit entry (committed with it) is brought up to what the pass came to."""
    await reverse_due(deps)
    line = decided.line
    now = await deps.store.console.line_by_id(line.id) if line is not None else None
    if now is None or line is None:
        return decided
    told = decided
    if now.state is S.REVERSED:
        told = Outcome(OutcomeStatus.DONE, "reversed", line)
    elif now.state is S.REVERSAL_PENDING and now.reason == "REVERSAL_NOT_ALLOWED":
        told = Outcome(OutcomeStatus.REFUSED, "reversal_refused", line, {"reason": "REVERSAL_NOT_ALLOWED"})
    performed = audit_note(deps, entry.actor, entry.action, told, note, detail)
    await deps.store.console.amend_audit(entry, performed, line, now.state.value)
    return told


async def reject(deps: Deps, actor: str, line_id: int, *, admin: bool, reason: str) -> Outcome:
    """An admin rejects a requested reversal (a reason is required): back to CS."""
    action = "reversal_reject"
    reason = reason.strip()
    found = await _load(deps, line_id, (S.REVERSAL_REQUESTED,))
    if isinstance(found, Outcome):
        return await _finish(deps, actor, action, found, reason)
    if not admin:
        return await _finish(deps, actor, action, Outcome(OutcomeStatus.REFUSED, "admin_only", found), reason)
    if not reason:
        return await _finish(
            deps, actor, action, Outcome(OutcomeStatus.REFUSED, "reason_needed", found), reason
        )

    def change(audit: AuditNote) -> Awaitable[bool]:
        return deps.store.reversals.reject_reversal(
            found, reason=reason, now=deps.clock(), actor=actor, audit=audit
        )

    return await audited(
        deps, actor, action, Outcome(OutcomeStatus.DONE, "reversal_rejected", found), change, reason
    )


async def settle_by_hand(deps: Deps, actor: str, line_id: int, note: str) -> Outcome:
    """The refund was settled outside the bridge (a note says how): REVERSAL_PENDING → RESOLVED."""
    action = "reversal_settle_by_hand"
    if not note.strip():
        return await _finish(deps, actor, action, Outcome(OutcomeStatus.REFUSED, "resolution_needed"), note)
    found = await _load(deps, line_id, (S.REVERSAL_PENDING,))
    if isinstance(found, Outcome):
        return await _finish(deps, actor, action, found, note)

    def change(audit: AuditNote) -> Awaitable[bool]:
        return deps.store.reversals.settle_reversal_by_hand(
            found, note=note, now=deps.clock(), actor=actor, audit=audit
        )

    return await audited(deps, actor, action, Outcome(OutcomeStatus.DONE, "resolved", found), change, note)
