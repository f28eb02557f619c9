"""What a person may do to an order line, as services: each audited, each safe to repeat.

The console and the CLI call these (``retry(deps, actor, line_id)``); the
handlers only translate forms and show the ``Outcome``. Every call leaves one
audit entry (who, when, before → after, note, and whether it did anything),
refusals included. Repeating an action is harmless because every state change
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

import enum
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from bridge.core.cardno import CardNumberError, CardRule
from bridge.core.errors import BridgeError, Permanent
from bridge.core.inflight import may_be_applied
from bridge.core.mapping import PlanError, requires_card_no
from bridge.core.masking import mask_card
from bridge.core.reasons import memo_for
from bridge.core.records import LineRecord
from bridge.core.states import CANCELLABLE, LineState
from bridge.services.deps import Deps
from bridge.services.planning import card_rule, mark_planned, order_line, plan_for

S = LineState
RESOLUTIONS = ("HANDLED_AT_HALL", "PROVISIONED_BY_HAND", "BUYER_WITHDREW", "DUPLICATE_ORDER", "OTHER")
"""Why a person settled a line without the bridge provisioning it (texts: the console catalogue)."""


class OutcomeStatus(enum.StrEnum):
    """What an action did; compares equal to, and is written (audit, redirects, the CLI) as, its text."""

    DONE = "done"  # the line moved (or the billing core was asked)
    UNCHANGED = "unchanged"  # nothing to do: the line was no longer where the person saw it
    REFUSED = "refused"  # not allowed or not possible; the code says why

    @classmethod
    def of(cls, moved: bool) -> OutcomeStatus:
        """DONE when the store's conditional move happened, UNCHANGED when the line had moved on."""
        return cls.DONE if moved else cls.UNCHANGED


@dataclass(frozen=True)
class Outcome:
    """What happened: ``status`` done | unchanged | refused, ``code`` a message key for people."""

    status: OutcomeStatus
    code: str
    line: LineRecord | None = None
    params: dict[str, str] = field(default_factory=dict)

    @property
    def done(self) -> bool:
        return self.status is OutcomeStatus.DONE

    @property
    def refused(self) -> bool:
        return self.status is OutcomeStatus.REFUSED


async def _finish(
    deps: Deps,
    actor: str,
    action: str,
    outcome: Outcome,
    note: str = "",
    detail: dict[str, Any] | None = None,
    batch: str | None = None,
) -> Outcome:
    """Write the audit entry for ``outcome`` (the line's state now is "after"), in ``batch`` if any."""
    line = outcome.line
    after = await deps.store.line_by_id(line.id) if line is not None else None
    await deps.store.add_audit(
        at=deps.clock(),
        actor=actor,
        action=action,
        outcome=outcome.status.value,
        line=line,
        before=line.state.value if line else None,
        after=after.state.value if after else None,
        note=note or None,
        detail={"code": outcome.code, **outcome.params, **(detail or {})},
        batch=batch,
    )
    return outcome


async def _load(deps: Deps, line_id: int, allowed: Iterable[LineState]) -> LineRecord | Outcome:
    line = await deps.store.line_by_id(line_id)
    if line is None:
        return Outcome(OutcomeStatus.REFUSED, "not_found", params={"line_id": str(line_id)})
    if line.state not in set(allowed):
        return Outcome(OutcomeStatus.UNCHANGED, "not_waiting", line, {"state": line.state.value})
    return line


async def _replan(deps: Deps, actor: str, line: LineRecord, card: str | None) -> bool:
    """EXCEPTION → READY with this line's own request_ids; raises PlanError / CardNumberError."""
    plan, card_no = await plan_for(deps, line, card)
    await deps.store.reset_attempts(line.id, deps.clock())
    return await mark_planned(deps, line, plan, card_no, actor=actor, frm=S.EXCEPTION)


async def _replanned(deps: Deps, actor: str, line: LineRecord, card: str | None) -> Outcome:
    try:
        moved = await _replan(deps, actor, line, card)
    except (PlanError, CardNumberError) as exc:
        why = {"reason": exc.reason.value, "detail": exc.detail}
        return Outcome(OutcomeStatus.REFUSED, "plan_failed", line, why)
    return Outcome(OutcomeStatus.of(moved), "queued" if moved else "not_waiting", line)


async def retry(deps: Deps, actor: str, line_id: int, note: str = "", *, batch: str | None = None) -> Outcome:
    """Provision an EXCEPTION line again: re-planned with its own card and request_ids."""
    found = await _load(deps, line_id, (S.EXCEPTION,))
    if isinstance(found, Outcome):
        return await _finish(deps, actor, "retry", found, note, batch=batch)
    outcome = await _replanned(deps, actor, found, found.card_no)
    return await _finish(deps, actor, "retry", outcome, note, batch=batch)


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
    outcome = await _replanned(deps, actor, found, card)
    return await _finish(deps, actor, "correct_card", outcome, note, detail)


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
    moved = await deps.store.resolve(found, resolution=resolution, note=note, now=deps.clock(), actor=actor)
    outcome = Outcome(OutcomeStatus.of(moved), "resolved" if moved else "not_waiting", found)
    return await _finish(deps, actor, "resolve", outcome, note, detail, batch)


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
    moved = await deps.store.cancel_for_refund(
        found, note=note, memo=memo_for(found.oid, "REFUND_BY_CS"), now=deps.clock(), actor=actor
    )
    outcome = Outcome(OutcomeStatus.of(moved), "cancelled" if moved else "not_waiting", found)
    return await _finish(deps, actor, "cancel_refund", outcome, note, {"refund": True}, batch)


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
        refusal = Outcome(OutcomeStatus.REFUSED, "nothing_to_reverse", found)
        return await _finish(deps, actor, action, refusal, note)
    moved = await deps.store.refund_after_delivery(
        found,
        detail={"refund": True, "maybe_credited": True, "note": note},
        memo=memo_for(found.oid, "REFUND_AFTER_DELIVERY"),
        now=deps.clock(),
        actor=actor,
        frm=CANCELLABLE,
    )
    code = "reversal_pending" if moved else "not_waiting"
    return await _finish(deps, actor, action, Outcome(OutcomeStatus.of(moved), code, found), note)


async def refresh_auth(deps: Deps, actor: str, line_id: int, note: str = "") -> Outcome:
    """Ask the billing core to re-send the set-top box's entitlements (harmless to repeat)."""
    line = await deps.store.line_by_id(line_id)
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
