"""Small builders of domain values for tests (ids may be written as numbers: they are stored as text)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bridge.core.api_orders import ApiOrderRecord
from bridge.core.models import CST, OperationKind, OperationResult, Recharge
from bridge.core.trades import OrderLine, OrderState, RefundState, Trade
from bridge.services.deps import Deps
from bridge.store.api_callbacks import queue_callback

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=CST)
CARD = "8371000012345678"


def order_line(
    oid: int | str = "2001",
    sku: str = "TV-RC-0100",
    qty: int = 1,
    price: int = 10000,
    payment: int | None = None,
    refund: RefundState = RefundState.NONE,
) -> OrderLine:
    return OrderLine(
        oid=str(oid),
        sku_code=sku,
        platform_sku_id=None,
        title="数字电视缴费卡 100元",
        quantity=qty,
        price_fen=price,
        payment_fen=price * qty if payment is None else payment,
        state=OrderState.PAID,
        refund=refund,
    )


def trade(
    tid: int | str = "1001",
    *lines: OrderLine,
    state: OrderState = OrderState.PAID,
    message: str | None = f"卡号{CARD}",
) -> Trade:
    lines = lines or (order_line(),)
    return Trade(
        tid=str(tid),
        state=state,
        buyer="tb123",
        created=T0,
        modified=T0,
        payment_fen=sum(ln.payment_fen for ln in lines),
        lines=tuple(lines),
        paid_at=T0,
        buyer_message=message,
        kind="fixed",
    )


def recharge(request_id: str, amount: int = 10000) -> Recharge:
    return Recharge(request_id=request_id, card_no=CARD, amount_fen=amount)


def applied(request_id: str) -> OperationResult:
    return OperationResult(
        request_id=request_id,
        operation_id=f"OP-{request_id}",
        kind=OperationKind.RECHARGE,
        status="applied",
        applied_at=datetime.now(UTC),
        balance_fen=12345,
    )


def later(dt: datetime, seconds: float) -> datetime:
    return dt + timedelta(seconds=seconds)


async def queue_delivered_callback(deps: Deps, order_id: str, url: str = "http://127.0.0.1:9/hook") -> None:
    """A channel order of client ``hall`` with its "delivered" callback queued, as the store queues one."""
    now = deps.clock()
    store = deps.store
    await store.api_orders.add_order(ApiOrderRecord("hall", order_id, {}, "0" * 64, now, now, now))
    async with store.engine.begin() as conn:  # the deps' store is a SqlStore
        await queue_callback(conn, "hall", order_id, "delivered", url, {}, now)
