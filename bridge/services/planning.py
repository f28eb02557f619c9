"""Planning: RECEIVED → READY (product, card number, request_ids) or EXCEPTION with a reason.

The decisions are pure (``bridge.core.mapping.planning``, ``bridge.core.cardno``,
``bridge.core.ceilings``); this module only applies them to stored lines, and re-plans lines sent
back to RECEIVED (a refund withdrawn, a mapping added, a card number corrected, a large line
approved). A mapped line above its ceilings (or in a trade above them) waits for an admin before
its card is even read; an admin's approval is remembered on the line, so it is checked once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import structlog

from bridge.core import ceilings
from bridge.core.cardno import CardNumberError, CardRule, extract_card_no
from bridge.core.ceilings import CEILING_REASONS, Ceilings, Size, default_ceilings, trade_size
from bridge.core.mapping import LinePlan, PlanError, is_mapped, plan_line, requires_card_no
from bridge.core.reasons import memo_for, reason_text
from bridge.core.records import AuditNote, LineRecord, PlannedLine
from bridge.core.states import LineState
from bridge.core.trades import OrderLine, OrderState, RefundState, Trade
from bridge.services.deps import Deps

log = structlog.get_logger("bridge.services.planning")


def order_line(line: LineRecord) -> OrderLine:
    return OrderLine(
        oid=line.oid,
        sku_code=line.outer_sku_id,
        platform_sku_id=None,
        title=line.title,
        quantity=line.quantity,
        price_fen=line.price_fen,
        payment_fen=line.payment_fen,
        state=OrderState.OTHER,
        refund=RefundState(line.refund_status),
        customization=line.customization,
        product_code=line.product_code,  # a SKU's line is planned from its SKU (``core.mapping``)
    )


def card_rule(deps: Deps, shop: str) -> CardRule:
    rule = deps.settings.shops[shop].card_rule
    return CardRule(sources=rule.sources, lengths=rule.lengths, prefixes=rule.prefixes)


def ceilings_for(deps: Deps, shop: str) -> Ceilings:
    """The shop's ceilings: its own keys, else the ``[ceilings]`` table's, else the live catalogue's."""
    derived = default_ceilings(deps.runtime.mappings.catalogue.products.values())
    chosen = deps.settings.ceilings.model_dump(exclude_none=True)
    chosen.update(deps.settings.shops[shop].ceilings.model_dump(exclude_none=True))
    return replace(derived, **chosen)


async def _trade_sizes(deps: Deps, items: Sequence[tuple[Trade | None, LineRecord]]) -> dict[int, Size]:
    """The sizes of the trades whose lines the ceilings may stop: from the trade as read when it is
    given, else added up by the store (one call for them all); each trade's once."""
    sizes: dict[int, Size] = {}
    unknown: set[int] = set()
    for trade, line in items:
        if line.ceiling_approved_by is not None or line.trade_id in sizes:
            continue
        if trade is not None and trade.lines:
            sizes[line.trade_id] = trade_size(trade.lines)
        else:
            unknown.add(line.trade_id)
    unknown -= sizes.keys()
    if unknown:
        sizes.update(await deps.store.lines.trade_sizes(sorted(unknown)))
    return sizes


async def plan_lines(deps: Deps, items: Sequence[tuple[Trade | None, LineRecord]]) -> list[bool]:
    """Plan stored RECEIVED lines together: each line's plan (or its EXCEPTION), then every READY
    in one store call (one transaction); whether each became READY, in order.

    A line's trade (its buyer text) is read from the store only when it is not given and needed.
    """
    planned: list[PlannedLine] = []
    chosen: list[int] = []
    sizes = await _trade_sizes(deps, items)
    for i, (trade, line) in enumerate(items):
        try:
            plan, card_no = await plan_for(deps, line, None, trade, size=sizes.get(line.trade_id))
        except (PlanError, CardNumberError) as exc:
            await _plan_failed(deps, line, exc)
            continue
        planned.append(_planned(deps, line, plan, card_no, frm=LineState.RECEIVED))
        chosen.append(i)
    ready = [False] * len(items)
    if planned:
        done = await deps.store.lines.mark_ready_many(planned, now=deps.clock(), actor=deps.owner)
        for i, ok in zip(chosen, done, strict=True):
            ready[i] = ok
    return ready


async def plan_for(
    deps: Deps,
    line: LineRecord,
    card: str | None = None,
    trade: Trade | None = None,
    *,
    size: Size | None = None,
) -> tuple[LinePlan, str | None]:
    """The line's plan and card number (``card`` if given, else read from the trade).

    The one planner for the pipeline and the CS actions; raises ``PlanError``
    or ``CardNumberError`` with a reason code. A mapped line not yet approved by an admin is first
    held against its shop's ceilings, with its trade's ``size`` (added up by the store if not given).
    """
    mapping = deps.runtime.mappings
    ol = order_line(line)
    if line.ceiling_approved_by is None and is_mapped(mapping, ol):
        if size is None:
            size = (await deps.store.lines.trade_sizes([line.trade_id]))[line.trade_id]
        ceilings.check(ol, size, ceilings_for(deps, line.shop))
    card_no = None
    if requires_card_no(ol, mapping):
        if not card:
            trade = trade or await deps.store.lines.trade_for_planning(line)
            card = extract_card_no(trade, ol, card_rule(deps, line.shop))
        card_no = card
    plan = plan_line(
        line.shop,
        line.tid,
        ol,
        card_no or "",
        mapping,
        op_cap_fen=deps.settings.fulfilment.op_cap_fen,
        delivers_codes=deps.shops[line.shop].delivers_codes,
    )
    return plan, card_no


def _planned(
    deps: Deps,
    line: LineRecord,
    plan: LinePlan,
    card_no: str | None,
    *,
    frm: LineState,
    audit: AuditNote | None = None,
) -> PlannedLine:
    return PlannedLine(
        line,
        tuple(plan.operations),
        card_no,
        plan.product_code,
        plan.product_name,
        plan.delivery.value,
        deps.runtime.mappings.version,
        (frm,),
        audit,
    )


async def mark_planned(
    deps: Deps,
    line: LineRecord,
    plan: LinePlan,
    card_no: str | None,
    *,
    actor: str,
    frm: LineState,
    audit: AuditNote | None = None,
) -> bool:
    """Move the line from ``frm`` to READY with the plan's operations (request_ids kept forever);
    a person's ``audit`` entry commits with the move."""
    [ready] = await deps.store.lines.mark_ready_many(
        [_planned(deps, line, plan, card_no, frm=frm, audit=audit)], now=deps.clock(), actor=actor
    )
    return ready


async def _plan_failed(deps: Deps, line: LineRecord, exc: PlanError | CardNumberError) -> None:
    reason = exc.reason.value
    # a ceiling's detail is already the sentence shown to people (Chinese, with the figures)
    message = exc.detail if reason in CEILING_REASONS else f"{reason_text(reason, 'en')}: {exc.detail}"
    await deps.store.operations.record_exception(
        line,
        reason=reason,
        message=message,
        actor=deps.owner,
        now=deps.clock(),
        memo=memo_for(line.oid, reason),
        detail={"mapping_version": deps.runtime.mappings.version},
    )
    log.warning("line_exception", tid=line.tid, oid=line.oid, reason=reason)


async def plan_due(deps: Deps, limit: int = 200) -> int:
    """Plan RECEIVED lines left by a restart or sent back to RECEIVED (together, as ``plan_lines``)."""
    claimed = await deps.store.lines.claim_lines(
        deps.owner, deps.clock(), deps.settings.fulfilment.lease_s, limit, states=(LineState.RECEIVED,)
    )
    ready: list[bool] = [False] * len(claimed)
    try:
        ready = await plan_lines(deps, [(None, line) for line in claimed])
    finally:
        for line, done in zip(claimed, ready, strict=True):
            if not done:  # READY and EXCEPTION clear the lease themselves
                await deps.store.lines.release(line)
    return len(claimed)
