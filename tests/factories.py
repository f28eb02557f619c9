"""Small builders of domain values for tests (ids may be written as numbers: they are stored as text)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bridge.core.models import CST, OperationKind, OperationResult, OrderLine, Recharge, Trade

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=CST)
CARD = "8371000012345678"


def order_line(
    oid: int | str = "2001",
    sku: str = "TV-RC-0100",
    qty: int = 1,
    price: int = 10000,
    payment: int | None = None,
    refund: str = "NO_REFUND",
) -> OrderLine:
    return OrderLine(
        oid=str(oid),
        outer_sku_id=sku,
        sku_id=None,
        title="数字电视缴费卡 100元",
        quantity=qty,
        price_fen=price,
        payment_fen=price * qty if payment is None else payment,
        status="WAIT_SELLER_SEND_GOODS",
        refund_status=refund,
    )


def trade(
    tid: int | str = "1001",
    *lines: OrderLine,
    status: str = "WAIT_SELLER_SEND_GOODS",
    message: str | None = f"卡号{CARD}",
) -> Trade:
    lines = lines or (order_line(),)
    return Trade(
        tid=str(tid),
        status=status,
        type="fixed",
        buyer_nick="tb123",
        created=T0,
        modified=T0,
        payment_fen=sum(ln.payment_fen for ln in lines),
        lines=tuple(lines),
        pay_time=T0,
        buyer_message=message,
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
