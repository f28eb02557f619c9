"""Delivery deadlines: a paid line must be delivered on its storefront within its shop's deadline.

Storefronts charge a late delivery to the shop (Pinduoduo deducts a compensation
per late order), so a line's deadline is money. A line's deadline is its payment
plus its shop's ``deadline`` (``docs/storefronts/deadlines.md`` has the platforms'
rules and the defaults); within ``margin`` of it the line is *at risk* (a person
is told), past it *missed*. ``left_text`` says the time left as the console shows
it (剩余时间). Pure: the store reads the lines, ``bridge.services.deadlines`` acts.

Ids are only carried and compared here (never computed with), so the text ids
of the storefront port are a type edit of ``UndeliveredLine``.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = [
    "STOREFRONTS",
    "Clocked",
    "DeadlineRule",
    "Standing",
    "StorefrontDeadlines",
    "UndeliveredLine",
    "by_urgency",
    "clock",
    "escalation_text",
    "left_text",
    "standing",
    "summarise",
]

STOREFRONTS = ("taobao", "pinduoduo", "api")
"""The storefronts a deadline can be set for (``[deadlines]`` has a ``<storefront>_s`` key for each)."""

_WHERE = {
    "RECEIVED": "已接收，等待规划 / received, not yet planned",
    "READY": "待开通，等待发送计费 / planned, waiting to be sent to billing",
    "SUBMITTED": "开通中，等待计费结果 / sent to billing, waiting for its answer",
    "UNKNOWN": "结果待核实，正在向计费查询 / outcome unknown, being looked up",
    "APPLIED": "已开通，等待标记发货 / credited, waiting to be marked delivered",
    "EXCEPTION": "异常，等待客服处理 / exception, waiting for customer service",
}


class Standing(enum.StrEnum):
    """Where a line not yet delivered stands against its deadline."""

    ON_TIME = "on_time"
    AT_RISK = "at_risk"  # within the margin of its deadline: a person is told
    MISSED = "missed"  # past its deadline, still not delivered


@dataclass(frozen=True)
class DeadlineRule:
    """One shop's deadline: its storefront, the time from payment to the deadline, the escalation margin."""

    storefront: str
    deadline: timedelta
    margin: timedelta


@dataclass(frozen=True)
class UndeliveredLine:
    """A paid line the storefront does not yet show delivered (nor cancelled, nor refunded)."""

    line_id: int
    shop: str
    tid: str  # the storefront's order id: carried and compared as text
    oid: str
    paid_at: datetime
    state: str


@dataclass(frozen=True)
class Clocked:
    """A line held against its deadline at one moment."""

    line: UndeliveredLine
    rule: DeadlineRule
    due: datetime
    left: timedelta  # negative once the deadline has passed
    standing: Standing


@dataclass(frozen=True)
class StorefrontDeadlines:
    """One storefront's lines against their deadlines at one moment, over all its shops."""

    storefront: str
    most_urgent_left: timedelta | None  # the most urgent undelivered line's time left; None: no line waits
    at_risk: int  # undelivered, within the margin of the deadline
    missed: int  # undelivered, past the deadline
    missed_today: int  # lines found past their deadline undelivered since the local day began


def summarise(per_shop: Iterable[StorefrontDeadlines]) -> tuple[StorefrontDeadlines, ...]:
    """Each storefront's figures from its shops' (given with the shop's storefront): the most urgent
    line of any of them, the counts added up; by storefront name."""
    merged: dict[str, StorefrontDeadlines] = {}
    for shop in per_shop:
        seen = merged.get(shop.storefront)
        if seen is None:
            merged[shop.storefront] = shop
            continue
        lefts = [x for x in (seen.most_urgent_left, shop.most_urgent_left) if x is not None]
        merged[shop.storefront] = StorefrontDeadlines(
            shop.storefront,
            min(lefts, default=None),
            seen.at_risk + shop.at_risk,
            seen.missed + shop.missed,
            seen.missed_today + shop.missed_today,
        )
    return tuple(merged[name] for name in sorted(merged))


def standing(left: timedelta, margin: timedelta) -> Standing:
    """Missed at the deadline itself (nothing left), at risk within the margin, else on time."""
    if left <= timedelta(0):
        return Standing.MISSED
    return Standing.AT_RISK if left <= margin else Standing.ON_TIME


def clock(line: UndeliveredLine, rule: DeadlineRule, now: datetime) -> Clocked:
    """``line``'s deadline under ``rule``, the time left at ``now``, and where it stands."""
    due = line.paid_at + rule.deadline
    left = due - now
    return Clocked(line, rule, due, left, standing(left, rule.margin))


def by_urgency(
    lines: Iterable[UndeliveredLine], rules: Mapping[str, DeadlineRule], now: datetime
) -> list[Clocked]:
    """The lines of the shops in ``rules``, the nearest deadline first (ties: by shop, order, line)."""
    clocked = [clock(ln, rules[ln.shop], now) for ln in lines if ln.shop in rules]
    return sorted(clocked, key=lambda c: (c.due, c.line.shop, str(c.line.tid), str(c.line.oid)))


def left_text(left: timedelta, *, english: bool = False) -> str:
    """The time left as people read it: ``剩余 1小时12分``, ``已超时 5分`` (whole minutes, never rounded up,
    so the time left is never overstated); under a minute: ``剩余 不足1分``."""
    seconds = int(left.total_seconds())
    overdue = seconds <= 0
    hours, minutes = divmod(abs(seconds) // 60, 60)
    if english:
        amount = "<1m" if hours == minutes == 0 else f"{hours}h{minutes}m" if hours else f"{minutes}m"
        return f"{amount} overdue" if overdue else f"{amount} left"
    amount = "不足1分" if hours == minutes == 0 else f"{hours}小时{minutes}分" if hours else f"{minutes}分"
    return f"已超时 {amount}" if overdue else f"剩余 {amount}"


def escalation_text(clocked: Clocked, local: datetime) -> str:
    """The chat robot's message for a line at risk or missed: shop, order, time left, where it stands.
    ``local`` is the deadline in the operator's time zone, for people to read."""
    line = clocked.line
    missed = clocked.standing is Standing.MISSED
    head = "已超时未发货 / deadline missed" if missed else "即将超时 / deadline near"
    where = _WHERE.get(line.state, line.state)
    return (
        f"⏰ 发货时限 / delivery deadline: {head}\n"
        f"店铺 / shop: {line.shop} ({clocked.rule.storefront})\n"
        f"订单 / order: {line.tid} 子订单 / line: {line.oid}\n"
        f"{left_text(clocked.left)} / {left_text(clocked.left, english=True)}"
        f"（截止 / due {local:%Y-%m-%d %H:%M}）\n"
        f"状态 / state: {where}"
    )
