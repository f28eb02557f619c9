"""Which catalogue products fit a listing's price: the editor's product picker.

A mapping is only valid when the listing's price equals the product's price ×
units, so for a ¥6 listing the candidates are the ¥6 products ×1, the ¥3
products ×2, the ¥2 products ×3 … The editor shows them as suggestions that
fill in product and units (and top-up for a channel, which cannot be a card).

Pure: the catalogue and a price in fen in, the fitting (product, units) out.
"""

from __future__ import annotations

from dataclasses import dataclass

from bridge.core.mapping.files import MAX_MONTHS, Catalogue, Delivery
from bridge.core.models import Product

MAX_SUGGESTED_UNITS = MAX_MONTHS
"""Units per item a suggestion may use: the billing core's 36 months, and as many face-value cards."""


@dataclass(frozen=True)
class Suggestion:
    """``units`` × ``product`` costs exactly the listing's price."""

    product: Product
    units: int

    @property
    def delivery(self) -> Delivery:
        """Top-up: the only delivery of a channel, and the usual one of a recharge."""
        return Delivery.TOPUP

    @property
    def choice(self) -> str:
        """``CH-FYZQ*3``: how the form sends the pick back."""
        return f"{self.product.product_code}*{self.units}"


def suggest_products(catalogue: Catalogue, price_fen: int) -> list[Suggestion]:
    """Every product whose price × units (1..36) equals ``price_fen``: fewest units first, then by
    code. None for a price that is not positive."""
    if price_fen <= 0:
        return []
    found = [
        Suggestion(product, price_fen // product.price_fen)
        for product in catalogue.products.values()
        if price_fen % product.price_fen == 0 and price_fen // product.price_fen <= MAX_SUGGESTED_UNITS
    ]
    return sorted(found, key=lambda s: (s.units, s.product.product_code))


def parse_choice(catalogue: Catalogue, choice: str) -> Suggestion | None:
    """The pick a form sent back (``CH-FYZQ*3``), or None for anything not in the catalogue."""
    code, _, units = choice.partition("*")
    product = catalogue.products.get(code)
    if product is None or not units.isdigit() or not 0 < int(units) <= MAX_SUGGESTED_UNITS:
        return None
    return Suggestion(product, int(units))
