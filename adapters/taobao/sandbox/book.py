"""The sandbox's trades and the moves a buyer, a seller or the platform make on them.

Pure state, no HTTP: the router methods and the shopper endpoints both call
these. Every change goes through ``TradeBook.changed`` so that ``modified``
is bumped and a snapshot is kept; ``increment.get`` lists the snapshot that
is "visible" given the visibility-delay knob, fullinfo the live trade.
Times are timezone-aware (GMT+8), ids come from a seeded ``random.Random``.
Payment, refunds and closing also publish a message on ``messages`` (TMC),
each topic with the fields its documentation lists (docs/storefronts/taobao-push.md).
"""

from __future__ import annotations

import itertools
import random
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from adapters.taobao.sandbox.board import MessageBoard
from adapters.taobao.sandbox.statuses import CLOSED_STATUSES, RefundStatus, TradeStatus
from adapters.taobao.signing import format_timestamp

_MAX_VERSIONS = 50
SELLER_NICK = "sandbox_c_1"
SELLER_ID = 3_000_000_001
"""The sandbox shop's seller, as trades and messages name it."""
_REFUND_TOPICS = {
    "requested": "taobao_refund_RefundCreated",
    "success": "taobao_refund_RefundSuccess",
    "closed": "taobao_refund_RefundClosed",
}
_NUM_IID_BASE = 500_000_000_000
SHIPPABLE = frozenset({TradeStatus.WAIT_SELLER_SEND_GOODS.value, TradeStatus.SELLER_CONSIGNED_PART.value})


class BookError(Exception):
    """A move the trade's state does not allow; ``kind`` is ``not_found`` or ``conflict``."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


@dataclass
class SandboxLine:
    oid: int
    outer_sku_id: str
    sku_id: str
    title: str
    quantity: int
    price_fen: int
    payment_fen: int
    customization: str | None = None
    status: str = TradeStatus.WAIT_BUYER_PAY.value
    refund_status: str = RefundStatus.NO_REFUND.value
    refund_id: int | None = None

    @property
    def num_iid(self) -> int:
        """The item (listing) the line was bought from: one per outer SKU id, the same every run."""
        return _NUM_IID_BASE + zlib.crc32(self.outer_sku_id.encode())


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


@dataclass
class SandboxTrade:
    tid: int
    type: str
    buyer_nick: str
    buyer_message: str | None
    created: datetime
    modified: datetime
    lines: list[SandboxLine]
    status: str = TradeStatus.WAIT_BUYER_PAY.value
    pay_time: datetime | None = None
    consign_time: datetime | None = None
    memo: str | None = None
    flag: int = 0
    memo_history: list[dict[str, Any]] = field(default_factory=list)
    deliveries: list[dict[str, Any]] = field(default_factory=list)
    dummy_send_calls: int = 0
    versions: list[SandboxTrade] = field(default_factory=list, repr=False)

    @property
    def payment_fen(self) -> int:
        return sum(line.payment_fen for line in self.lines)

    def line(self, oid: int) -> SandboxLine:
        for line in self.lines:
            if line.oid == oid:
                return line
        raise BookError("not_found", f"trade {self.tid} has no order line {oid}")

    def snapshot(self) -> SandboxTrade:
        return replace(self, lines=[replace(line) for line in self.lines], versions=[])


@dataclass(frozen=True)
class NewLine:
    outer_sku_id: str
    title: str
    price_fen: int
    quantity: int
    payment_fen: int
    customization: str | None = None


class TradeBook:
    """Every trade of the sandbox shop, keyed by tid."""

    def __init__(self, clock: Callable[[], datetime], rng: random.Random) -> None:
        self._clock = clock
        self._rng = rng
        self._trades: dict[int, SandboxTrade] = {}
        self._ids: set[int] = set()
        self.messages = MessageBoard(clock)
        self._refund_ids = itertools.count(2**54 + 1)  # its own count: the trade ids' stream stays as it was
        self.generation = 0  # one more on every change a listing can see (new trade, new version)

    def __iter__(self) -> Iterator[SandboxTrade]:
        return iter(self._trades.values())

    def now(self) -> datetime:
        """The marketplace's clock (GMT+8), the one every ``modified`` is stamped with."""
        return self._clock()

    def get(self, tid: int) -> SandboxTrade:
        trade = self._trades.get(tid)
        if trade is None:
            raise BookError("not_found", f"no trade {tid}")
        return trade

    def _new_id(self) -> int:
        """A fresh id of 17 to 19 digits (below 2^63): all above 2^53, as real tids are."""
        while True:
            digits = self._rng.randint(17, 19)
            value = self._rng.randrange(10 ** (digits - 1), min(10**digits, 2**63 - 1))
            if value not in self._ids:
                self._ids.add(value)
                return value

    def changed(self, trade: SandboxTrade) -> None:
        """Bump ``modified`` (strictly increasing per trade) and keep a listing snapshot."""
        now = self._clock()
        self.generation += 1
        trade.modified = max(now, trade.modified + timedelta(microseconds=1))
        trade.versions.append(trade.snapshot())
        del trade.versions[:-_MAX_VERSIONS]

    def create(
        self, buyer_nick: str, buyer_message: str | None, type_: str, lines: list[NewLine]
    ) -> SandboxTrade:
        now = self._clock()
        trade = SandboxTrade(
            tid=self._new_id(),
            type=type_,
            buyer_nick=buyer_nick,
            buyer_message=buyer_message,
            created=now,
            modified=now,
            lines=[
                SandboxLine(
                    oid=self._new_id(),
                    outer_sku_id=new.outer_sku_id,
                    sku_id=str(self._rng.randrange(10**11, 10**12)),
                    title=new.title,
                    quantity=new.quantity,
                    price_fen=new.price_fen,
                    payment_fen=new.payment_fen,
                    customization=new.customization,
                )
                for new in lines
            ],
        )
        trade.versions.append(trade.snapshot())
        self._trades[trade.tid] = trade
        self.generation += 1
        return trade

    def pay(self, tid: int) -> SandboxTrade:
        trade = self.get(tid)
        if trade.status != TradeStatus.WAIT_BUYER_PAY.value:
            raise BookError("conflict", f"trade {tid} is {trade.status}, not WAIT_BUYER_PAY")
        trade.status = TradeStatus.WAIT_SELLER_SEND_GOODS.value
        trade.pay_time = self._clock()
        for line in trade.lines:
            line.status = trade.status
        self.changed(trade)
        self._publish("taobao_trade_TradeBuyerPay", trade, trade.lines[0], **_paid_fields(trade))
        return trade

    def _publish(self, topic: str, trade: SandboxTrade, line: SandboxLine, **extra: object) -> None:
        ids = {"tid": trade.tid, "oid": line.oid, "buyer_nick": trade.buyer_nick, "seller_nick": SELLER_NICK}
        self.messages.publish(topic, {**ids, **extra}, SELLER_NICK, SELLER_ID)

    def refund(self, tid: int, oid: int, outcome: str) -> SandboxTrade:
        """``requested`` / ``success`` / ``closed`` (withdrawn) on one line."""
        trade = self.get(tid)
        line = trade.line(oid)
        if trade.pay_time is None or trade.status in CLOSED_STATUSES:
            raise BookError("conflict", f"trade {tid} is {trade.status}: nothing to refund")
        if outcome not in _REFUND_TOPICS:
            raise BookError("conflict", f"unknown refund outcome {outcome!r}")
        phase = "aftersale" if trade.status == TradeStatus.TRADE_FINISHED.value else "onsale"
        if outcome == "requested":
            line.refund_status = RefundStatus.WAIT_SELLER_AGREE.value
            line.refund_id = next(self._refund_ids)
        elif outcome == "success":
            line.refund_status = RefundStatus.SUCCESS.value
            line.status = TradeStatus.TRADE_CLOSED.value
            if all(x.refund_status == RefundStatus.SUCCESS.value for x in trade.lines):
                trade.status = TradeStatus.TRADE_CLOSED.value
        else:
            line.refund_status = RefundStatus.CLOSED.value
        self.changed(trade)
        line.refund_id = line.refund_id or next(self._refund_ids)
        self._publish(_REFUND_TOPICS[outcome], trade, line, **_refund_fields(trade, line, phase))
        if trade.status in CLOSED_STATUSES:  # it was open before this move (checked above)
            closed = {**_paid_fields(trade), "status": trade.status, "num_iid": line.num_iid}
            self._publish("taobao_trade_TradeClose", trade, line, **closed)
        return trade

    def ship(self, trade: SandboxTrade, feature: str | None) -> None:
        """The virtual delivery itself; the caller has checked the state."""
        now = self._clock()
        trade.status = TradeStatus.WAIT_BUYER_CONFIRM_GOODS.value
        trade.consign_time = now
        for line in trade.lines:
            if line.status in SHIPPABLE:
                line.status = trade.status
        trade.deliveries.append({"at": now, "feature": feature})
        self.changed(trade)

    def update_memo(self, trade: SandboxTrade, memo: str | None, flag: int | None, reset: bool) -> None:
        if reset:
            trade.memo = None
        elif memo:
            trade.memo = memo
        if flag is not None:
            trade.flag = flag
        trade.memo_history.append({"memo": trade.memo, "flag": trade.flag, "at": self._clock()})
        self.changed(trade)

    def listing(self, delay_s: float) -> list[SandboxTrade]:
        """What increment.get can see now: each trade's newest version older than the delay."""
        horizon = self._clock() - timedelta(seconds=delay_s)
        visible = []
        for trade in self._trades.values():
            if delay_s <= 0:
                visible.append(trade)
                continue
            ready = [v for v in trade.versions if v.modified <= horizon]
            if ready:
                visible.append(ready[-1])
        return visible


def _paid_fields(trade: SandboxTrade) -> dict[str, object]:
    """What the trade topics carry besides the ids: the amount paid (yuan text) and the trade type."""
    return {"payment": _yuan(trade.payment_fen), "type": trade.type}


def _refund_fields(trade: SandboxTrade, line: SandboxLine, phase: str) -> dict[str, object]:
    """What every refund topic documents besides the trade's ids: the refund, its amount (yuan text),
    its bill type (a virtual line is refunded, never returned or exchanged) and its phase."""
    return {
        "refund_id": line.refund_id,
        "refund_fee": _yuan(line.payment_fen),
        "bill_type": "refund_bill",
        "refund_phase": phase,
        "modified": format_timestamp(trade.modified),
    }
