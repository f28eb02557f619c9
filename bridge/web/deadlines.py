"""Delivery deadlines as the console shows them: a line's time left (剩余时间), the queue's deadline order
and the 临近时限 tab's cutoffs.

The rules are the shops' (``bridge.services.deadlines.deadline_rules``, from the settings) and the
arithmetic is ``bridge.core.deadlines``'; only lines awaiting delivery have a deadline.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from bridge.core.deadlines import Clocked, UndeliveredLine, clock
from bridge.core.records import LineRecord
from bridge.core.states import AWAITING_DELIVERY
from bridge.services.deadlines import deadline_rules
from bridge.services.deps import Deps

__all__ = ["clocked", "cutoffs", "deadline_seconds"]


def deadline_seconds(deps: Deps) -> dict[str, float]:
    """Each shop's seconds from payment to its deadline (the queue's deadline order)."""
    return {shop: rule.deadline.total_seconds() for shop, rule in deadline_rules(deps.settings).items()}


def cutoffs(deps: Deps, now: datetime) -> dict[str, datetime]:
    """Each shop's latest payment at risk at ``now``: paid at or before it, a line is within its shop's
    margin of its deadline, or past it."""
    return {shop: now - rule.deadline + rule.margin for shop, rule in deadline_rules(deps.settings).items()}


def clocked(deps: Deps, lines: Iterable[LineRecord], now: datetime) -> dict[int, Clocked]:
    """The lines awaiting delivery against their deadlines at ``now``, by line id (the others have none)."""
    rules = deadline_rules(deps.settings)
    found: dict[int, Clocked] = {}
    for ln in lines:
        rule = rules.get(ln.shop)
        if rule is None or ln.paid_at is None or ln.state not in AWAITING_DELIVERY:
            continue
        undelivered = UndeliveredLine(ln.id, ln.shop, ln.tid, ln.oid, ln.paid_at, ln.state.value)
        found[ln.id] = clock(undelivered, rule, now)
    return found
