"""Which alerts hold for given figures, and that each is told once when it starts and once when it ends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bridge.core.alerting import AlertBook, Observation, Thresholds, active, render
from bridge.core.records import ShopFigures, StoreFigures

# 2026-12-01 03:00 UTC is 11:00 in China: business hours
NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
TH = Thresholds()


def _figures(**changes: object) -> StoreFigures:
    base: dict[str, object] = {
        "lines_by_state": {},
        "exceptions_by_reason": {},
        "oldest_due": None,
        "oldest_exception": None,
        "writeback_failing": 0,
        "shops": _shop(),
    }
    base.update(changes)
    return StoreFigures(**base)  # type: ignore[arg-type]


def _names(obs: Observation) -> set[str]:
    return {alert.name for alert, _ in active(obs, TH)}


def _shop(**changes: object) -> tuple[ShopFigures, ...]:
    fields: dict[str, object] = {
        "shop": "main",
        "watermark": NOW - timedelta(seconds=300),
        "last_poll_success": NOW,
        "last_paid": NOW - timedelta(minutes=5),
    }
    fields.update(changes)
    return (ShopFigures(**fields),)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("figures", "breaker", "expected"),
    [
        (_figures(), False, set()),
        (
            _figures(exceptions_by_reason={"UNMAPPED_SKU": 15, "CARD_NOT_FOUND": 6}),
            False,
            {"BridgeExceptionBacklog"},
        ),
        (_figures(exceptions_by_reason={"UNMAPPED_SKU": 20}), False, set()),
        (_figures(oldest_exception=NOW - timedelta(hours=5)), False, {"BridgeExceptionTooOld"}),
        (_figures(), True, {"BridgeBillingUnavailable"}),
        (_figures(writeback_failing=2), False, {"BridgeWriteBackFailing"}),
        (_figures(shops=_shop(watermark=NOW - timedelta(hours=1))), False, {"BridgePollingStale"}),
        (_figures(shops=_shop(watermark=None)), False, set()),
        (_figures(shops=_shop(last_paid=NOW - timedelta(hours=3))), False, {"BridgeNoPaidOrders"}),
        (
            _figures(shops=_shop(poll_error="ConfigError: TAOBAO_SESSION_INVALID: re-authorise")),
            False,
            {"BridgeMarketplaceSessionInvalid"},
        ),
        (_figures(shops=_shop(poll_error="Retryable: isp.top-remote-connection-timeout")), False, set()),
    ],
)
def test_which_alerts_hold(figures: StoreFigures, breaker: bool, expected: set[str]) -> None:
    assert _names(Observation(NOW, figures, breaker)) == expected


def test_no_paid_orders_is_quiet_outside_business_hours() -> None:
    """22:00 in China (14:00 UTC): three hours without an order is no alert."""
    late = NOW.replace(hour=14)
    figures = _figures(shops=_shop(watermark=late, last_paid=late - timedelta(hours=3)))
    assert _names(Observation(late, figures, False)) == set()


def test_a_session_expiring_within_the_warning_is_told() -> None:
    soon, later = NOW + timedelta(days=2), NOW + timedelta(days=10)
    assert _names(Observation(NOW, _figures(), False, {"main": soon})) == {"BridgeMarketplaceSessionExpiring"}
    assert _names(Observation(NOW, _figures(), False, {"main": later})) == set()


def test_an_alert_is_posted_once_after_its_for_and_once_when_resolved() -> None:
    book = AlertBook()
    holding = active(Observation(NOW, _figures(writeback_failing=1), False), TH)  # for 900 s
    assert book.due(holding, NOW) == []
    [fired] = book.due(holding, NOW + timedelta(seconds=900))
    assert not fired.resolved
    book.sent(fired)
    assert book.due(holding, NOW + timedelta(seconds=960)) == []
    [resolved] = book.due([], NOW + timedelta(seconds=1020))
    assert resolved.resolved and resolved.alert.name == "BridgeWriteBackFailing"
    book.sent(resolved)
    assert book.due([], NOW + timedelta(seconds=1080)) == []
    assert "resolved" in render(resolved) and "firing" in render(fired)


def test_a_post_that_failed_is_due_again() -> None:
    book = AlertBook()
    holding = active(Observation(NOW, _figures(), True), Thresholds(billing_unavailable_s=0))
    assert len(book.due(holding, NOW)) == 1  # not marked sent: the post failed
    assert len(book.due(holding, NOW + timedelta(seconds=60))) == 1


def test_a_condition_that_clears_before_its_for_is_never_told() -> None:
    book = AlertBook()
    holding = active(Observation(NOW, _figures(writeback_failing=1), False), TH)
    book.due(holding, NOW)
    assert book.due([], NOW + timedelta(seconds=600)) == []
    assert book.due(holding, NOW + timedelta(seconds=1200)) == []  # the wait starts again
