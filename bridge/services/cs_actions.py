"""What a person may do to an order line, as services: each audited, each safe to repeat.

The console and the CLI call these (``retry(deps, actor, line_id)``); the
handlers only translate forms and show the ``Outcome``. Every call leaves one
audit entry (who, when, before → after, note, and whether it did anything),
refusals included. A change commits its entry in its own transaction (the
store's move takes the ``AuditNote``: ``audited``), so a crash or a database
error between the two cannot leave a change nobody can trace; an outcome that
changed nothing is audited alone (``_finish``). Repeating an action is harmless because every state change
is the store's conditional move out of the state the person saw: a second
click finds the line already moved and changes nothing, and a line is
re-planned with its own request_ids (``shop:tid:oid:part``), so the billing
core can never be asked to provision it twice.

    retry            EXCEPTION → READY (re-planned, own card and request_ids, fresh retry budget)
    correct_card     EXCEPTION → READY with a card the billing core confirmed first
    resolve          EXCEPTION → RESOLVED with a resolution code and a note (nothing provisioned)
    cancel_refund    EXCEPTION | HELD → CANCELLED, seller memo "refund the buyer"; refused when a
                     billing call for the line went out (it may have been credited)
    refund_by_reversal  EXCEPTION | HELD that may have been credited → REVERSAL_PENDING, memo for CS
    refresh_auth     no state change: the billing core re-sends the set-top box's entitlements
"""

from __future__ import annotations

import unicodedata
from collections.abc import Awaitable, Iterable
from typing import Any

from bridge.core.cardno import CardNumberError, CardRule
from bridge.core.errors import BridgeError, Permanent
from bridge.core.inflight import may_be_applied
from bridge.core.mapping import PlanError, requires_card_no
from bridge.core.masking import mask_card
from bridge.core.reasons import memo_for
from bridge.core.records import AuditNote, LineRecord
from bridge.core.states import CANCELLABLE, LineState
from bridge.services.audit import Outcome as Outcome
from bridge.services.audit import OutcomeStatus as OutcomeStatus
from bridge.services.audit import audited
from bridge.services.audit import finish as _finish
from bridge.services.deps import Deps
from bridge.services.planning import card_rule, mark_planned, order_line, plan_for

S = LineState
RESOLUTIONS = ("HANDLED_AT_HALL", "PROVISIONED_BY_HAND", "BUYER_WITHDREW", "DUPLICATE_ORDER", "OTHER")
"""Why a person settled a line without the bridge provisioning it (texts: the console catalogue)."""


async def _load(deps: Deps, line_id: int, allowed: Iterable[LineState]) -> LineRecord | Outcome:
    line = await deps.store.console.line_by_id(line_id)
    if line is None:
        return Outcome(OutcomeStatus.REFUSED, "not_found", params={"line_id": str(line_id)})
    if line.state not in set(allowed):
        return Outcome(OutcomeStatus.UNCHANGED, "not_waiting", line, {"state": line.state.value})
    return line


async def _replan(deps: Deps, actor: str, line: LineRecord, card: str | None, audit: AuditNote) -> bool:
    """EXCEPTION → READY with this line's own request_ids and a fresh retry budget, ``audit`` with
    it; raises PlanError / CardNumberError (nothing changed)."""
    plan, card_no = await plan_for(deps, line, card)
    return await mark_planned(deps, line, plan, card_no, actor=actor, frm=S.EXCEPTION, audit=audit)


async def _replanned(
    deps: Deps,
    actor: str,
    action: str,
    line: LineRecord,
    card: str | None,
    note: str,
    detail: dict[str, Any] | None = None,
    batch: str | None = None,
) -> Outcome:
    """Re-plan ``line`` (to ``card``), audited: queued, or refused with the planner's reason."""
    try:
        return await audited(
            deps,
            actor,
            action,
            Outcome(OutcomeStatus.DONE, "queued", line),
            lambda audit: _replan(deps, actor, line, card, audit),
            note,
            detail,
            batch,
        )
    except (PlanError, CardNumberError) as exc:
        refusal = Outcome(
            OutcomeStatus.REFUSED, "plan_failed", line, {"reason": exc.reason.value, "detail": exc.detail}
        )
        return await _finish(deps, actor, action, refusal, note, detail, batch)


async def retry(deps: Deps, actor: str, line_id: int, note: str = "", *, batch: str | None = None) -> Outcome:
    """Provision an EXCEPTION line again: re-planned with its own card and request_ids."""
    found = await _load(deps, line_id, (S.EXCEPTION,))
    if isinstance(found, Outcome):
        return await _finish(deps, actor, "retry", found, note, batch=batch)
    return await _replanned(deps, actor, "retry", found, found.card_no, note, batch=batch)


def normalise_card(text: str) -> str:
    """Digits as the person typed them: full-width read as ASCII, spaces and hyphens dropped."""
    return "".join(c for c in unicodedata.normalize("NFKC", text) if c not in " -")


def card_form_ok(card: str, rule: CardRule) -> bool:
    """Whether a typed card (after ``normalise_card``) has the shop's form: digits, length, prefix."""
    return card.isascii() and card.isdigit() and rule.accepts(card)


async def correct_card(deps: Deps, actor: str, line_id: int, card_text: str, note: str = "") -> Outcome:
    """Check the card with the billing core, then provision the line to it (own request_ids)."""
    card = normalise_card(card_text)
    detail = {"card": mask_card(card) if card else ""}
    found = await _load(deps, line_id, (S.EXCEPTION,))
    if isinstance(found, Outcome):
        return await _finish(deps, actor, "correct_card", found, note, detail)
    refusal = _unsettled(found) or await _check_card(deps, found, card)
    if refusal is not None:
        return await _finish(deps, actor, "correct_card", refusal, note, detail)
    detail["previous_card"] = mask_card(found.card_no) if found.card_no else ""
    return await _replanned(deps, actor, "correct_card", found, card, note, detail)


def _unsettled(line: LineRecord) -> Outcome | None:
    """A part applied, or maybe applied (answer lost): the line's money may have moved already."""
    if _maybe_credited(line):
        return Outcome(OutcomeStatus.REFUSED, "partly_provisioned", line)
    return None


async def _check_card(deps: Deps, line: LineRecord, card: str) -> Outcome | None:
    """None when ``card`` may receive this line; else the refusal to show."""
    rule = card_rule(deps, line.shop)
    if not requires_card_no(order_line(line), deps.runtime.mappings):
        return Outcome(OutcomeStatus.REFUSED, "card_not_needed", line)
    if not card:
        return Outcome(OutcomeStatus.REFUSED, "card_empty", line)
    if not card_form_ok(card, rule):
        form = {"lengths": "/".join(str(n) for n in rule.lengths), "prefixes": "/".join(rule.prefixes)}
        return Outcome(OutcomeStatus.REFUSED, "card_format", line, form)
    try:
        subscriber = await deps.billing.subscriber(card)
    except Permanent as exc:
        code = "card_unknown" if exc.code == "SUBSCRIBER_NOT_FOUND" else "card_refused"
        return Outcome(OutcomeStatus.REFUSED, code, line, {"error": str(exc)})
    except BridgeError as exc:
        return Outcome(OutcomeStatus.REFUSED, "billing_unreachable", line, {"error": str(exc)})
    if subscriber.status != "active":
        return Outcome(OutcomeStatus.REFUSED, "card_inactive", line, {"status": subscriber.status})
    sku = deps.runtime.mappings.skus.get(line.outer_sku_id)
    product = deps.runtime.mappings.catalogue.products.get(
        sku.product_code if sku else line.product_code or ""
    )
    if product is not None and product.requires_two_way and not subscriber.two_way:
        return Outcome(OutcomeStatus.REFUSED, "card_one_way", line)
    return None


async def resolve(
    deps: Deps, actor: str, line_id: int, resolution: str, note: str, *, batch: str | None = None
) -> Outcome:
    """Settle an EXCEPTION line by hand (nothing provisioned by the bridge): RESOLVED."""
    detail = {"resolution": resolution}
    if resolution not in RESOLUTIONS or not note.strip():
        refusal = Outcome(OutcomeStatus.REFUSED, "resolution_needed")
        return await _finish(deps, actor, "resolve", refusal, note, detail, batch)
    found = await _load(deps, line_id, (S.EXCEPTION,))
    if isinstance(found, Outcome):
        return await _finish(deps, actor, "resolve", found, note, detail, batch)

    def change(audit: AuditNote) -> Awaitable[bool]:
        return deps.store.moves.resolve(
            found, resolution=resolution, note=note, now=deps.clock(), actor=actor, audit=audit
        )

    done = Outcome(OutcomeStatus.DONE, "resolved", found)
    return await audited(deps, actor, "resolve", done, change, note, detail, batch)


async def cancel_refund(
    deps: Deps, actor: str, line_id: int, note: str, *, batch: str | None = None
) -> Outcome:
    """Cancel a line that was never provisioned and ask for the buyer's refund (seller memo)."""
    found = await _load(deps, line_id, CANCELLABLE)
    if isinstance(found, Outcome):
        return await _finish(deps, actor, "cancel_refund", found, note, batch=batch)
    if _maybe_credited(found):  # credited and refunded is what this refusal prevents
        refusal = Outcome(OutcomeStatus.REFUSED, "maybe_applied", found)
        return await _finish(deps, actor, "cancel_refund", refusal, note, batch=batch)
    memo = memo_for(found.oid, "REFUND_BY_CS")

    def change(audit: AuditNote) -> Awaitable[bool]:
        return deps.store.moves.cancel_for_refund(
            found, note=note, memo=memo, now=deps.clock(), actor=actor, audit=audit
        )

    done = Outcome(OutcomeStatus.DONE, "cancelled", found)
    return await audited(deps, actor, "cancel_refund", done, change, note, {"refund": True}, batch)


def _maybe_credited(line: LineRecord) -> bool:
    """A call for some part went out (applied, in flight, answer lost or unreadable): maybe credited."""
    return any(may_be_applied(op.state) for op in line.operations)


async def refund_by_reversal(deps: Deps, actor: str, line_id: int, note: str = "") -> Outcome:
    """A refund for a line that may have been credited: REVERSAL_PENDING, never CANCELLED."""
    action = "refund_by_reversal"
    found = await _load(deps, line_id, CANCELLABLE)
    if isinstance(found, Outcome):
        return await _finish(deps, actor, action, found, note)
    if not _maybe_credited(found):
        return await _finish(
            deps, actor, action, Outcome(OutcomeStatus.REFUSED, "nothing_to_reverse", found), note
        )

    def change(audit: AuditNote) -> Awaitable[bool]:
        return deps.store.moves.refund_after_delivery(
            found,
            detail={"refund": True, "maybe_credited": True, "note": note},
            memo=memo_for(found.oid, "REFUND_AFTER_DELIVERY"),
            now=deps.clock(),
            actor=actor,
            frm=CANCELLABLE,
            audit=audit,
        )

    return await audited(
        deps, actor, action, Outcome(OutcomeStatus.DONE, "reversal_pending", found), change, note
    )


async def refresh_auth(deps: Deps, actor: str, line_id: int, note: str = "") -> Outcome:
    """Ask the billing core to re-send the set-top box's entitlements (harmless to repeat)."""
    line = await deps.store.console.line_by_id(line_id)
    if line is None or not line.card_no:
        refusal = Outcome(OutcomeStatus.REFUSED, "not_found" if line is None else "no_card", line)
        return await _finish(deps, actor, "refresh_auth", refusal, note)
    detail = {"card": mask_card(line.card_no)}
    try:
        await deps.billing.refresh_authorization(line.card_no)
    except BridgeError as exc:
        code = "refresh_refused" if isinstance(exc, Permanent) else "billing_unreachable"
        refusal = Outcome(OutcomeStatus.REFUSED, code, line, {"error": str(exc), "reason": exc.code or ""})
        return await _finish(deps, actor, "refresh_auth", refusal, note, detail)
    done = Outcome(OutcomeStatus.DONE, "refreshed", line)
    return await _finish(deps, actor, "refresh_auth", done, note, detail)
