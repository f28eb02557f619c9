"""The alert notifier: the rules of deploy/prometheus/bridge-rules.yml, posted to a group-chat robot.

For shops without Prometheus. Each run reads the store's figures (the same
ones ``/metrics`` serves), decides which alerts hold (``bridge.core.alerting``)
and posts each alert once when it has held as long as its rule's ``for``, and
once when it resolves. A post that fails is tried again at the next run. The
book of what was told lives in the process: run the notifier on one instance
(a restart posts a still-firing alert once more).
"""

from __future__ import annotations

import structlog

from bridge.core.alerting import AlertBook, Notice, Observation, Thresholds, active, render
from bridge.core.errors import BridgeError
from bridge.services.deps import Deps
from bridge.settings import AlertSettings

__all__ = ["Notifier", "thresholds"]

log = structlog.get_logger("bridge.services.alerts")


def thresholds(s: AlertSettings) -> Thresholds:
    return Thresholds(
        watermark_age_s=s.watermark_age_s,
        exception_backlog=s.exception_backlog,
        exception_age_s=s.exception_age_s,
        billing_unavailable_s=s.billing_unavailable_s,
        no_paid_orders_s=s.no_paid_orders_s,
        business_hours=s.business_hours,
        utc_offset_h=s.utc_offset_h,
        writeback_failing_s=s.writeback_failing_s,
        session_expiry_s=s.session_expiry_s,
    )


class Notifier:
    """The scheduler's alerts job; it keeps what was already posted between runs."""

    def __init__(self) -> None:
        self.book = AlertBook()

    async def __call__(self, deps: Deps) -> list[Notice]:
        """Evaluate once and post what changed; the notices that went out."""
        if deps.robot is None:
            return []
        now = deps.clock()
        shops = deps.settings.shops
        observation = Observation(
            now=now,
            figures=await deps.store.monitoring.figures(),
            breaker_open=deps.runtime.breaker.is_open(now),
            session_expiry={n: s.access_expires_at for n, s in shops.items() if s.access_expires_at},
        )
        settings = deps.settings.alerts
        posted: list[Notice] = []
        for notice in self.book.due(active(observation, thresholds(settings)), now):
            try:
                await deps.robot.post(settings.title, render(notice))
            except BridgeError as exc:  # the robot is unreachable or refuses: try again next run
                log.warning("alert_not_posted", alert=notice.alert.name, error=str(exc))
                break
            self.book.sent(notice)
            posted.append(notice)
            log.info(
                "alert_posted", alert=notice.alert.name, shop=notice.alert.shop, resolved=notice.resolved
            )
        return posted
