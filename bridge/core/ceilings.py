"""Ceilings: a paid line, or a whole trade, too large for the bridge to provision without a person.

A line paying more than the line ceiling, or buying more than its quantity, and
every line of a trade whose lines add up to more than the trade ceiling, wait in
EXCEPTION (``LINE_OVER_CEILING`` / ``TRADE_OVER_CEILING``) until an admin
approves them; an approved line is planned by the normal path and never stopped
by a ceiling again. ``check`` is the rule, raising ``PlanError`` like the other
planning rules, with the figures in Chinese for the console.

Unless a shop or the ``[ceilings]`` table sets them, the ceilings follow the
live catalogue's largest product (``default_ceilings``):

- a line: 5 × the largest product's price, and 36 (``MAX_MONTHS``: the longest
  subscription the billing core sells, so the most of anything one line sensibly
  holds);
- a trade: twice a line's (two full lines pass; more waits).

Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bridge.core.mapping.files import MAX_MONTHS
from bridge.core.mapping.planning import PlanError, PlanReason
from bridge.core.models import Product
from bridge.core.money import fen_to_yuan
from bridge.core.trades import OrderLine

LINE_PRICES = 5
"""A line's amount ceiling, in the largest product's prices."""
LINE_QUANTITY = MAX_MONTHS
"""A line's quantity ceiling."""
TRADE_LINES = 2
"""A trade's ceilings, in a line's."""

CEILING_REASONS = frozenset({PlanReason.LINE_OVER_CEILING.value, PlanReason.TRADE_OVER_CEILING.value})
"""The reasons of a line waiting for an admin's approval of its size."""


@dataclass(frozen=True)
class Size:
    """What a line or a trade adds up to: amount paid and quantity bought."""

    amount_fen: int
    quantity: int


@dataclass(frozen=True)
class Ceilings:
    """Above these a paid line waits for an admin (amounts in fen)."""

    line_amount_fen: int
    line_quantity: int
    trade_amount_fen: int
    trade_quantity: int


def default_ceilings(products: Iterable[Product]) -> Ceilings:
    """The ceilings that follow the catalogue: see the module's docstring."""
    largest = max((p.price_fen for p in products), default=0)
    line = LINE_PRICES * largest
    return Ceilings(line, LINE_QUANTITY, TRADE_LINES * line, TRADE_LINES * LINE_QUANTITY)


def trade_size(lines: Iterable[OrderLine]) -> Size:
    """A trade's size: every line's payment and quantity added up."""
    amount = quantity = 0
    for line in lines:
        amount += line.payment_fen
        quantity += line.quantity
    return Size(amount, quantity)


def check(line: OrderLine, trade: Size, ceilings: Ceilings) -> None:
    """Raise ``PlanError`` (``LINE_OVER_CEILING`` or ``TRADE_OVER_CEILING``) when ``line``, or its
    ``trade``, is above a ceiling; the detail names the figure and the ceiling in Chinese."""
    if line.payment_fen > ceilings.line_amount_fen:
        detail = f"金额 {_yuan(line.payment_fen)} 超过单笔上限 {_yuan(ceilings.line_amount_fen)}"
        raise PlanError(PlanReason.LINE_OVER_CEILING, detail)
    if line.quantity > ceilings.line_quantity:
        detail = f"数量 {line.quantity} 超过单笔上限 {ceilings.line_quantity}"
        raise PlanError(PlanReason.LINE_OVER_CEILING, detail)
    if trade.amount_fen > ceilings.trade_amount_fen:
        detail = f"整笔订单金额 {_yuan(trade.amount_fen)} 超过整单上限 {_yuan(ceilings.trade_amount_fen)}"
        raise PlanError(PlanReason.TRADE_OVER_CEILING, detail)
    if trade.quantity > ceilings.trade_quantity:
        detail = f"整笔订单数量 {trade.quantity} 超过整单上限 {ceilings.trade_quantity}"
        raise PlanError(PlanReason.TRADE_OVER_CEILING, detail)


def _yuan(fen: int) -> str:
    return f"¥{fen_to_yuan(fen)}"
