"""The queue's delivery deadlines as SQL: lines in deadline order, and the lines near their deadline.

A line's deadline is its payment plus its shop's deadline (``bridge.core.deadlines``),
so across shops with different deadlines the order is by ``paid_at`` in seconds plus
the shop's seconds, computed in the database (the page is cut there). Only lines
awaiting delivery (``states.AWAITING_DELIVERY``) have a deadline; the others (held,
reversals) and the shops not given come after them, oldest first. "Near" is each
shop's cutoff (paid at or before it: within the margin, or past the deadline), a
bound time per shop, so the state index finds the few lines awaiting delivery.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Float, and_, case, cast, false, func, literal, or_

from bridge.core.states import AWAITING_DELIVERY
from bridge.store.schema import lines

__all__ = ["AWAITING", "due_order", "near"]

AWAITING = sorted(s.value for s in AWAITING_DELIVERY)


def _seconds(dialect: str, column: Any) -> Any:
    """``column``'s seconds since the epoch (stored times are UTC)."""
    if dialect == "postgresql":
        return func.extract("epoch", column)
    return (func.julianday(column) - literal(2440587.5)) * literal(86400.0)


def due_order(dialect: str, deadlines: Mapping[str, float], since: Any) -> list[Any]:
    """ORDER BY clauses: the nearest deadline first (``deadlines``: each shop's seconds from payment),
    lines without one last, each group oldest first (``since``), then by id."""
    if not deadlines:
        return [since, lines.c.id]
    shop_s = case({shop: literal(float(s)) for shop, s in deadlines.items()}, value=lines.c.shop)
    due = case(
        (lines.c.state.in_(AWAITING), _seconds(dialect, lines.c.paid_at) + cast(shop_s, Float)),
        else_=None,
    )
    return [due.is_(None), due, since, lines.c.id]


def near(cutoffs: Mapping[str, datetime]) -> Any:
    """Lines awaiting delivery of the shops in ``cutoffs``, each paid at or before its shop's cutoff."""
    paid = [and_(lines.c.shop == shop, lines.c.paid_at <= at) for shop, at in sorted(cutoffs.items())]
    return and_(lines.c.state.in_(AWAITING), or_(*paid) if paid else false())
