"""Which shops a reconciliation could read: one ``ShopListing`` per shop, every storefront.

Reconciling a day lists each shop's paid orders through its storefront. A shop
whose storefront refuses (an expired authorisation, a call limit that does not
lift, a storefront that is down or too slow) cannot be checked, and saying
nothing would read as "that shop agrees". So each shop's outcome is kept: the
shops read are listed as such, and each one that could not be read becomes a
``RECON_SHOP_UNLISTED`` row (stored with the run, in the CSV and the JSON like
any disagreement; cleared by a later run that reads the shop), while the other
shops are reconciled as usual.

Pure: the service catches the storefront's error and hands it here as text.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from bridge.core.masking import mask_text
from bridge.core.reconcile import SHOP_UNLISTED, Disagreement


@dataclass(frozen=True)
class ShopListing:
    """One shop as the run read it: listed, or the error code and message its storefront gave."""

    shop: str
    storefront: str
    error_code: str | None = None
    error_message: str | None = None

    @property
    def listed(self) -> bool:
        return self.error_code is None

    def fields(self) -> dict[str, Any]:
        """The shop in a JSON report: ``name``, ``storefront``, ``listed`` and ``error`` (or ``None``)."""
        error = None
        if not self.listed:
            error = {"code": self.error_code, "message": mask_text(self.error_message or "")}
        return {"name": self.shop, "storefront": self.storefront, "listed": self.listed, "error": error}


def unlisted_rows(shops: Iterable[ShopListing]) -> list[Disagreement]:
    """A ``RECON_SHOP_UNLISTED`` row for each shop that could not be read, in the order given."""
    return [
        Disagreement(
            SHOP_UNLISTED,
            shop.shop,
            detail=mask_text(f"{shop.storefront}: {shop.error_code}: {shop.error_message}"),
        )
        for shop in shops
        if not shop.listed
    ]
