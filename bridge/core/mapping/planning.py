"""Planning: one order line and a card number → the billing operations, or a reason.

Every paid order line must become exactly the right billing operations, with
request ids that never change, or a clear reason a person can act on:
``plan_line`` gives a ``LinePlan`` of operations, or raises ``PlanError``
with a reason code (``UNMAPPED_SKU``, ``AMOUNT_MISMATCH``,
``QUANTITY_INVALID``). ``PlanError`` is a ``Permanent`` (a person decides),
so the planning service moves the line to EXCEPTION with ``error.reason``
and shows CS ``REASON_TEXT_ZH[error.reason]``.

A line may name a billing product directly instead of a SKU (``OrderLine.product_code``, the
order API's): it is planned as a SKU of that product, one unit per quantity at the catalogue's
price (a recharge product with a card number is credited to it, without one it is card codes);
an unknown product code is ``UNMAPPED_SKU`` naming the code.

Pure: no I/O. The checked mapping set it reads is ``bridge.core.mapping.checked``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from bridge.core.cardno import CardReason
from bridge.core.errors import Permanent
from bridge.core.mapping.checked import MappingSet
from bridge.core.mapping.files import MAX_MONTHS, Delivery, SkuRule
from bridge.core.models import IssueCards, Operation, Product, ProductKind, Recharge, Subscribe
from bridge.core.money import fen_to_yuan, split_amount
from bridge.core.reasons import REASONS
from bridge.core.request_ids import build as request_id
from bridge.core.trades import OrderLine

RECHARGE_CAP_FEN = 500_000
"""The billing core credits at most 5000 yuan in one recharge operation."""
MAX_CARDS_PER_OPERATION = 20
"""Card delivery asks for at most this many cards per operation."""

# ------------------------------------------------------------------- planning


class PlanReason(enum.StrEnum):
    UNMAPPED_SKU = "UNMAPPED_SKU"  # outer_sku_id missing or not in the mapping
    AMOUNT_MISMATCH = "AMOUNT_MISMATCH"  # paid ≠ listed price × quantity
    QUANTITY_INVALID = "QUANTITY_INVALID"  # ≤ 0, or more months than the billing core sells
    LINE_OVER_CEILING = "LINE_OVER_CEILING"  # above the line's ceiling: an admin approves (core.ceilings)
    TRADE_OVER_CEILING = "TRADE_OVER_CEILING"  # its trade is above the trade's ceiling: likewise
    CODES_NOT_DELIVERABLE = "CODES_NOT_DELIVERABLE"  # card codes, on a storefront that cannot deliver them


REASON_TEXT_ZH: dict[str, str] = {c.value: REASONS[c.value][0] for c in (*PlanReason, *CardReason)}
"""Short Chinese texts for CS for the reason codes of planning and card extraction
(one source of truth: ``bridge.core.reasons``, which also holds the billing-side codes)."""


class PlanError(Permanent):
    """The line cannot be planned; ``reason`` says why, ``detail`` gives the figures."""

    def __init__(self, reason: PlanReason, detail: str) -> None:
        super().__init__(detail, code=reason.value)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class LinePlan:
    """What one order line becomes in the billing core."""

    product_code: str
    product_name: str
    delivery: Delivery
    units_total: int  # cards (recharge) or months (channel) for the whole line
    expected_payment_fen: int
    operations: tuple[Operation, ...]


def sku_is_mapped(mapping: MappingSet, outer_sku_id: str | None) -> bool:
    """Whether ``outer_sku_id`` has a rule in ``mapping`` (to release parked lines)."""
    return mapping.skus.get(outer_sku_id) is not None


def is_mapped(mapping: MappingSet, line: OrderLine) -> bool:
    """Whether ``line`` has a product in ``mapping``: its SKU's rule, or the product it names."""
    return _rule(line, mapping) is not None


def requires_card_no(line: OrderLine, mapping: MappingSet) -> bool:
    """Whether planning ``line`` needs the buyer's smart-card number.

    False for card delivery (cards are issued to nobody in particular) and for
    unmapped SKUs, so the caller learns ``UNMAPPED_SKU`` from ``plan_line``
    rather than a card error.
    """
    rule = _rule(line, mapping)
    return rule is not None and rule.delivery is Delivery.TOPUP


def _rule(line: OrderLine, mapping: MappingSet) -> SkuRule | None:
    """The line's SKU rule; for a line naming a product (no SKU), that product as a one-unit rule."""
    if line.sku_code is not None or line.product_code is None:
        return mapping.skus.get(line.sku_code)
    product = mapping.catalogue.products.get(line.product_code)
    if product is None:
        return None
    topup = product.kind is ProductKind.CHANNEL or bool(line.customization)
    delivery = Delivery.TOPUP if topup else Delivery.CARD
    return SkuRule("", product.product_code, 1, delivery, product.price_fen, product.name)


def plan_line(
    shop: str,
    tid: str,
    line: OrderLine,
    card_no: str,
    mapping: MappingSet,
    op_cap_fen: int = RECHARGE_CAP_FEN,
    *,
    delivers_codes: bool = True,
) -> LinePlan:
    """The operations for one order line; raises ``PlanError`` when it cannot be planned.

    Deterministic: the same arguments always give the same operations and
    request ids (part k is ``f"{shop}:{tid}:{oid}:{k}"``). ``card_no`` is not
    used for card delivery (pass ""); see ``requires_card_no``.
    """
    rule, product = _lookup(line, mapping)
    if rule.delivery is Delivery.CARD and not delivers_codes:
        detail = f'SKU "{rule.outer_sku_id}" delivers card codes; this storefront cannot deliver them'
        raise PlanError(PlanReason.CODES_NOT_DELIVERABLE, detail)
    units_total = rule.units * line.quantity
    if line.quantity <= 0:
        raise PlanError(PlanReason.QUANTITY_INVALID, f"quantity {line.quantity} is not positive")
    if product.kind is ProductKind.CHANNEL and units_total > MAX_MONTHS:
        detail = f"{line.quantity} × {rule.units} = {units_total} months is more than {MAX_MONTHS}"
        raise PlanError(PlanReason.QUANTITY_INVALID, detail)
    expected = rule.price_fen * line.quantity
    if line.payment_fen != expected:
        detail = (
            f"paid {fen_to_yuan(line.payment_fen)} yuan, expected {fen_to_yuan(expected)} yuan "
            f"({line.quantity} × {fen_to_yuan(rule.price_fen)})"
        )
        raise PlanError(PlanReason.AMOUNT_MISMATCH, detail)
    if rule.delivery is Delivery.TOPUP and not card_no:
        raise ValueError("a top-up line needs the card number (see requires_card_no)")
    operations = _operations(shop, tid, line.oid, card_no, rule, product, units_total, op_cap_fen)
    return LinePlan(product.product_code, product.name, rule.delivery, units_total, expected, operations)


def _lookup(line: OrderLine, mapping: MappingSet) -> tuple[SkuRule, Product]:
    rule = _rule(line, mapping)
    if rule is None:
        if line.sku_code is None and line.product_code is not None:
            detail = f'product_code "{line.product_code}" is not in the catalogue (mapping {mapping.version})'
        elif not line.sku_code:
            detail = "the line has no outer_sku_id (商家编码)"
        else:
            detail = f'outer_sku_id "{line.sku_code}" is not in mapping {mapping.version}'
        raise PlanError(PlanReason.UNMAPPED_SKU, detail)
    product = mapping.catalogue.products.get(rule.product_code)
    if product is None:
        detail = f'SKU "{rule.outer_sku_id}" maps to product "{rule.product_code}", not in the catalogue'
        raise PlanError(PlanReason.UNMAPPED_SKU, detail)
    return rule, product


def _operations(
    shop: str,
    tid: str,
    oid: str,
    card_no: str,
    rule: SkuRule,
    product: Product,
    units_total: int,
    op_cap_fen: int,
) -> tuple[Operation, ...]:
    if product.kind is ProductKind.CHANNEL:
        months = units_total
        return (Subscribe(request_id(shop, tid, oid, 0), card_no, product.product_code, months),)
    if rule.delivery is Delivery.CARD:
        counts = split_amount(units_total, MAX_CARDS_PER_OPERATION)
        face = product.price_fen
        return tuple(IssueCards(request_id(shop, tid, oid, k), face, n) for k, n in enumerate(counts))
    amounts = split_amount(product.price_fen * units_total, op_cap_fen)
    return tuple(Recharge(request_id(shop, tid, oid, k), card_no, amount) for k, amount in enumerate(amounts))
