"""Test helpers: wire rows as the platform writes them, and a scripted list method."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from adapters.pinduoduo.signing import format_time
from bridge.core.models import CST

T0 = datetime(2026, 12, 7, 12, 0, 0, tzinfo=CST)


def row(sn: str = "261207-100000000000001", at: datetime = T0, **changes: Any) -> dict[str, Any]:
    """One order as the list and the detail carry it: paid, to ship, one 50-yuan SKU."""
    base: dict[str, Any] = {
        "order_sn": sn,
        "confirm_status": 1,
        "order_status": 1,
        "refund_status": 1,
        "after_sales_status": 0,
        "created_time": format_time(at - timedelta(minutes=1)),
        "updated_at": format_time(at),
        "pay_time": format_time(at - timedelta(seconds=30)),
        "pay_amount": 50.0,
        "buyer_memo": "",
        "remark": "",
        "remark_tag": None,
        "item_list": [
            {
                "sku_id": 1234567890,
                "goods_name": "有线电视充值50元",
                "goods_count": 1,
                "goods_price": 50,
                "outer_id": "RC-50",
            }
        ],
    }
    return {**base, **changes}


class ScriptedList:
    """The list method over ``rows`` (newest first, as the platform sorts): pages, totals, calls seen.

    ``before_page`` runs before each page is answered (to move orders while the client pages);
    ``short`` names pages answered once with their last row missing.
    """

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows
        self.calls: list[tuple[int, int]] = []
        self.short: set[int] = set()
        self.before_page: Any = None

    def sorted_rows(self) -> list[dict[str, Any]]:
        return sorted(self.rows, key=lambda r: (r["updated_at"], r["order_sn"]), reverse=True)

    async def __call__(self, params: dict[str, object]) -> dict[str, Any]:
        page, size = int(str(params["page"])), int(str(params["page_size"]))
        self.calls.append((page, size))
        if self.before_page is not None and size > 1:
            self.before_page(page)
        rows = self.sorted_rows()
        chunk = rows[(page - 1) * size : page * size]
        if page in self.short and size > 1 and chunk:
            self.short.discard(page)
            chunk = chunk[:-1]
        answer = {"total_count": len(rows), "has_next": page * size < len(rows), "order_sn_list": chunk}
        return {"order_sn_increment_get_response": answer}
