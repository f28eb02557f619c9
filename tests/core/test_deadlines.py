"""Delivery deadlines: a line's deadline, the time left, at risk / missed, the words, the urgency order."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bridge.core.deadlines import (
    DeadlineRule,
    Standing,
    StorefrontDeadlines,
    UndeliveredLine,
    by_urgency,
    clock,
    escalation_text,
    left_text,
    standing,
    summarise,
)
from tests.factories import T0

DAY = DeadlineRule("taobao", timedelta(hours=24), timedelta(hours=2))
HALF_DAY = DeadlineRule("pinduoduo", timedelta(hours=12), timedelta(hours=2))


def _line(shop: str = "main", paid_hours_ago: float = 0.0, tid: int = 1, oid: int = 11) -> UndeliveredLine:
    return UndeliveredLine(
        line_id=oid, shop=shop, tid=tid, oid=oid, paid_at=T0 - timedelta(hours=paid_hours_ago), state="READY"
    )


def test_a_lines_deadline_is_its_payment_plus_its_shops_deadline() -> None:
    """Paid 20 hours ago under a 24-hour rule: due 4 hours from now, 4 hours left."""
    c = clock(_line(paid_hours_ago=20), DAY, T0)
    assert c.due == T0 + timedelta(hours=4) and c.left == timedelta(hours=4)
    assert c.standing is Standing.ON_TIME


@pytest.mark.parametrize(
    ("left", "expected"),
    [
        (timedelta(hours=2, seconds=1), Standing.ON_TIME),
        (timedelta(hours=2), Standing.AT_RISK),  # the margin's edge is inside it
        (timedelta(seconds=1), Standing.AT_RISK),
        (timedelta(0), Standing.MISSED),  # nothing left at the deadline itself
        (timedelta(minutes=-5), Standing.MISSED),
    ],
)
def test_within_the_margin_is_at_risk_and_past_it_missed(left: timedelta, expected: Standing) -> None:
    """A line is at risk from the margin's edge on, and missed once no time is left."""
    assert standing(left, timedelta(hours=2)) is expected


@pytest.mark.parametrize(
    ("left", "chinese", "english"),
    [
        (timedelta(hours=1, minutes=12, seconds=59), "剩余 1小时12分", "1h12m left"),
        (timedelta(minutes=12), "剩余 12分", "12m left"),
        (timedelta(hours=3), "剩余 3小时0分", "3h0m left"),
        (timedelta(seconds=59), "剩余 不足1分", "<1m left"),
        (timedelta(0), "已超时 不足1分", "<1m overdue"),
        (timedelta(minutes=-5, seconds=-30), "已超时 5分", "5m overdue"),
        (timedelta(hours=-26, minutes=-1), "已超时 26小时1分", "26h1m overdue"),
    ],
)
def test_the_time_left_in_words_counts_whole_minutes(left: timedelta, chinese: str, english: str) -> None:
    """剩余 / 已超时 with hours and whole minutes, never rounded up (the time left is never overstated)."""
    assert left_text(left) == chinese
    assert left_text(left, english=True) == english


def test_the_nearest_deadline_comes_first_whatever_the_shops_rules() -> None:
    """A shop with a shorter deadline can be more urgent than an older payment under a longer one."""
    older = _line("tb", paid_hours_ago=20, tid=1)  # due in 4 h
    newer = _line("pdd", paid_hours_ago=10, tid=2)  # due in 2 h
    oldest = _line("tb", paid_hours_ago=25, tid=3)  # missed an hour ago
    ordered = by_urgency([older, newer, oldest], {"tb": DAY, "pdd": HALF_DAY}, T0)
    assert [c.line.tid for c in ordered] == [3, 2, 1]
    assert [c.standing for c in ordered] == [Standing.MISSED, Standing.AT_RISK, Standing.ON_TIME]


def test_lines_due_together_are_ordered_by_shop_then_order() -> None:
    """Equal deadlines keep a stable order: shop, then order id, then line id (compared, never counted)."""
    a, b, c = _line("b", tid=1), _line("a", tid=9), _line("a", tid=10)
    ordered = by_urgency([a, b, c], {"a": DAY, "b": DAY}, T0)
    assert [(x.line.shop, x.line.tid) for x in ordered] == [("a", 10), ("a", 9), ("b", 1)]


def test_a_line_of_a_shop_without_a_rule_is_left_out() -> None:
    """Only the shops given a rule are clocked (a shop no longer configured is not guessed at)."""
    assert by_urgency([_line("gone")], {"main": DAY}, T0) == []


def test_a_storefronts_figures_take_its_most_urgent_shop_and_add_the_counts() -> None:
    """Two Taobao shops and a Pinduoduo one: per storefront, the shortest time left and the sums."""
    shops = [
        StorefrontDeadlines("taobao", timedelta(hours=3), 1, 0, 2),
        StorefrontDeadlines("pinduoduo", None, 0, 0, 0),
        StorefrontDeadlines("taobao", timedelta(minutes=-5), 2, 1, 1),
    ]
    assert summarise(shops) == (
        StorefrontDeadlines("pinduoduo", None, 0, 0, 0),
        StorefrontDeadlines("taobao", timedelta(minutes=-5), 3, 1, 3),
    )


def test_a_storefront_with_no_line_waiting_has_no_most_urgent_line() -> None:
    """Shops with nothing awaiting delivery: the storefront's time left stays unknown, not zero."""
    shops = [StorefrontDeadlines("taobao", None, 0, 0, 0), StorefrontDeadlines("taobao", None, 0, 0, 1)]
    assert summarise(shops) == (StorefrontDeadlines("taobao", None, 0, 0, 1),)


def test_the_escalation_names_shop_order_time_left_due_and_where_it_stands() -> None:
    """At risk: 即将超时, the shop and storefront, the ids, 剩余 with the due time, the state in words."""
    c = clock(_line(paid_hours_ago=22.5, tid=123, oid=456), DAY, T0)
    text = escalation_text(c, c.due)
    assert "即将超时" in text and "main (taobao)" in text and "123" in text and "456" in text
    assert "剩余 1小时30分" in text and "2026-11-24 11:30" in text and "待开通" in text


def test_a_missed_lines_escalation_says_it_is_overdue() -> None:
    """Past the deadline: 已超时 in the head and in the time left."""
    c = clock(_line(paid_hours_ago=25), DAY, T0)
    text = escalation_text(c, c.due)
    assert "已超时未发货" in text and "已超时 1小时0分" in text
