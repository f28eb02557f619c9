"""A channel client's order as the order API takes it, and as the store keeps it.

``ApiOrder`` is the body of ``POST /api/v1/orders`` (validated here, at the
boundary, with errors naming the field); ``ApiOrderRecord`` is its row. An
order is the client's by ``(client, order_id)``: the same id from another client
is another order. The order id becomes the trade's tid in the pipeline, so it
follows the tid rule (1-22 characters of ``A-Za-z0-9._-``, ``request_ids``).

Sending an order again is safe: the same order is the same answer; another
order under the same id is a conflict, and ``first_difference`` names the first
field that differs (``lines[1].amount_fen``), comparing what the orders *mean*
(``2026-12-08T08:00:00+08:00`` is ``2026-12-08T00:00:00Z``; key order and
spacing do not count).

Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from bridge.core.request_ids import MAX_TID

__all__ = [
    "ORDER_ID_PATTERN",
    "PAGE_SIZE",
    "ApiLine",
    "ApiOrder",
    "ApiOrderRecord",
    "first_difference",
]

ORDER_ID_PATTERN = rf"^[A-Za-z0-9._-]{{1,{MAX_TID}}}$"
"""A client's order id: it becomes the line's tid, so it keeps the tid rule."""

PAGE_SIZE = 100
"""Orders per page of ``GET /api/v1/orders?date=D``."""

_STRICT = ConfigDict(extra="forbid", frozen=True)


class ApiLine(BaseModel):
    """One line: a SKU code (mapped like a marketplace's) or a billing product code, how many, the fen
    paid for the whole line, and the smart card it is for (a card-code product needs none)."""

    model_config = _STRICT
    sku: str | None = Field(None, min_length=1, max_length=64)
    product_code: str | None = Field(None, min_length=1, max_length=64)
    quantity: int = Field(..., ge=1, le=9999)
    amount_fen: int = Field(..., ge=0, le=100_000_000)
    card_no: str | None = Field(None, pattern=r"^[0-9]{6,32}$")

    @model_validator(mode="after")
    def _one_product(self) -> ApiLine:
        if (self.sku is None) == (self.product_code is None):
            raise ValueError("give either sku or product_code (exactly one)")
        return self


class ApiOrder(BaseModel):
    """A paid order from a channel client (``POST /api/v1/orders``)."""

    model_config = _STRICT
    order_id: str = Field(..., pattern=ORDER_ID_PATTERN)
    paid_at: AwareDatetime
    lines: list[ApiLine] = Field(..., min_length=1)  # at most [api] max_lines (the API's own refusal)
    callback_url: str | None = Field(None, max_length=2000, pattern=r"^https?://[^\s]+$")


@dataclass(frozen=True)
class ApiOrderRecord:
    """An order as stored: the body as received (parsed JSON) and the hash of its bytes; the columns
    the pipeline fills later (delivered, its note for the client, a refund request) start empty."""

    client: str
    order_id: str
    body: Mapping[str, Any]
    body_sha256: str
    paid_at: datetime
    received_at: datetime
    modified_at: datetime
    delivered_at: datetime | None = None
    note: str | None = None
    refund_requested_at: datetime | None = None
    codes: Mapping[str, list[str]] | None = None  # each line's card codes by oid, as delivered
    severity: str | None = None  # the mark beside ``note`` (a ``Severity`` value)

    def order(self) -> ApiOrder:
        """The stored body read as an order again (it was one when it was stored)."""
        return ApiOrder.model_validate(self.body)


def first_difference(first: Any, second: Any, path: str = "") -> str | None:
    """The first field where two values differ (``lines[1].amount_fen``), or None when they agree.

    Objects are compared key by key in the first's order, then the second's extra keys; lists item
    by item, then the first item only one of them has.
    """
    if isinstance(first, Mapping) and isinstance(second, Mapping):
        for key in [*first, *(k for k in second if k not in first)]:
            where = f"{path}.{key}" if path else str(key)
            found = first_difference(first.get(key), second.get(key), where)
            if found is not None:
                return found
        return None
    if _is_list(first) and _is_list(second):
        for index, (one, other) in enumerate(zip(first, second, strict=False)):
            found = first_difference(one, other, f"{path}[{index}]")
            if found is not None:
                return found
        return None if len(first) == len(second) else f"{path}[{min(len(first), len(second))}]"
    return None if first == second else (path or "(body)")


def _is_list(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)
