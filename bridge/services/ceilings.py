"""Large orders are a person's decision: an admin approves a line held by its ceilings.

    approve   EXCEPTION (LINE_OVER_CEILING | TRADE_OVER_CEILING) → RECEIVED, the approval kept on the
              line, then planned at once by the pipeline's own planner (``plan_lines``): READY and
              provisioned like any other line, or back in EXCEPTION for another reason (a card to ask
              for); never stopped by a ceiling again. Admins only.

Not approving is the ordinary handling of an exception: the line waits, and CS (or an admin)
cancels it for a refund or settles it by hand (``cs_actions``). CS's retry or card correction of a
waiting line is refused by the planner with the ceiling's reason, so only an admin lets it through.

The approval's audit entry commits with the move (``audited``); a second click finds the line
moved on and changes nothing. The rule itself is ``bridge.core.ceilings``.
"""

from __future__ import annotations

from collections.abc import Awaitable

from bridge.core.ceilings import CEILING_REASONS
from bridge.core.records import AuditNote
from bridge.core.states import LineState
from bridge.services.audit import Outcome, OutcomeStatus, audited
from bridge.services.audit import finish as _finish
from bridge.services.cs_actions import _load
from bridge.services.deps import Deps
from bridge.services.planning import plan_lines

S = LineState


async def approve(deps: Deps, actor: str, line_id: int, *, admin: bool, note: str = "") -> Outcome:
    """An admin lets a line past its ceilings; it is planned at once through the normal path."""
    action = "ceiling_approve"
    found = await _load(deps, line_id, (S.EXCEPTION,))
    if isinstance(found, Outcome):
        return await _finish(deps, actor, action, found, note)
    if found.reason not in CEILING_REASONS:
        waiting = Outcome(OutcomeStatus.UNCHANGED, "not_waiting", found, {"state": found.state.value})
        return await _finish(deps, actor, action, waiting, note)
    if not admin:
        refusal = Outcome(OutcomeStatus.REFUSED, "ceiling_admin_only", found)
        return await _finish(deps, actor, action, refusal, note)
    detail = {"reason": found.reason, "amount_fen": found.payment_fen, "quantity": found.quantity}

    def change(audit: AuditNote) -> Awaitable[bool]:
        return deps.store.moves.approve_over_ceiling(found, now=deps.clock(), actor=actor, audit=audit)

    done = Outcome(OutcomeStatus.DONE, "ceiling_approved", found)
    told = await audited(deps, actor, action, done, change, note, detail)
    if told.done:
        approved = await deps.store.console.line_by_id(found.id)
        if approved is not None and approved.state is S.RECEIVED:
            await plan_lines(deps, [(None, approved)])
    return told
