"""Delivery deadlines at work: the figures /metrics and the dashboard show, and the escalation job.

``read_deadlines`` is read with the store figures' snapshot (``bridge.services.console_figures``:
one task, at most once per ``[console] figures_every_s``): per storefront, the most urgent
undelivered line's time left, the lines at risk and missed now, and missed today.

``escalate_deadlines`` is the ``deadlines`` job (every ``[deadlines] interval_s``). A line
found past its deadline gets a ``deadline_missed`` event once, and the instance that wrote
it counts it in ``bridge_deadline_missed_total``. A line within the margin (or past the
deadline, never told) gets a ``deadline_at_risk`` event once, then one chat robot post
naming shop, order, time left and state. The event is written before the post, under the
line's lock (``DeadlineStorePort.record_once``), so no line is posted twice across
instances and restarts; a post that fails is logged and not tried again (told at most
once). At most ``POSTS_PER_RUN`` posts a run keep within the robots' rate limits (DingTalk
allows 20 a minute); the rest are told on the following runs, the most urgent first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

import structlog

from bridge.core.deadlines import (
    Clocked,
    DeadlineRule,
    StorefrontDeadlines,
    UndeliveredLine,
    clock,
    escalation_text,
    summarise,
)
from bridge.core.errors import BridgeError
from bridge.core.models import CST
from bridge.settings import Settings

if TYPE_CHECKING:
    from bridge.services.deps import Deps

__all__ = [
    "AT_RISK_EVENT",
    "MISSED_EVENT",
    "MISSED_TODAY_EVERY_S",
    "POSTS_PER_RUN",
    "MissedToday",
    "deadline_rules",
    "escalate_deadlines",
    "read_deadlines",
]

log = structlog.get_logger("bridge.services.deadlines")

AT_RISK_EVENT = "deadline_at_risk"
MISSED_EVENT = "deadline_missed"
POSTS_PER_RUN = 10
MISSED_TODAY_EVERY_S = 60.0
"""The day's missed lines are counted at most this often: counting the day's events is the dearest of these
reads (210-275 ms at a million lines on SQLite, 4 ms on PostgreSQL; the other reading takes 15-50 ms)."""
_BATCH = 100  # missed lines recorded per read
_BATCHES_PER_RUN = 20
_ACTOR = "system"


def deadline_rules(settings: Settings) -> dict[str, DeadlineRule]:
    """Each shop's deadline rule, by shop name."""
    return {name: settings.deadline_rule(name) for name in settings.shops}


@dataclass
class MissedToday:
    """Each shop's lines missed since local midnight, as last counted (kept in ``Runtime``)."""

    counts: dict[str, int] = field(default_factory=dict)
    day: datetime | None = None
    read_at: datetime | None = None

    async def read(self, deps: Deps, now: datetime, today: datetime) -> dict[str, int]:
        """The counts, counted again on a new day or once ``MISSED_TODAY_EVERY_S`` have passed."""
        if (
            self.day != today
            or self.read_at is None
            or (now - self.read_at).total_seconds() >= MISSED_TODAY_EVERY_S
        ):
            store = deps.store.deadlines
            self.counts = {
                shop: await store.count_events(shop, MISSED_EVENT, today) for shop in deps.settings.shops
            }
            self.day, self.read_at = today, now
        return self.counts


async def read_deadlines(deps: Deps, now: datetime) -> tuple[StorefrontDeadlines, ...]:
    """Each storefront's lines against their deadlines at ``now`` (missed today: since local midnight, counted
    at most every ``MISSED_TODAY_EVERY_S``)."""
    today = now.astimezone(CST).replace(hour=0, minute=0, second=0, microsecond=0)
    store = deps.store.deadlines
    missed_today = await deps.runtime.missed_today.read(deps, now, today)
    per_shop: list[StorefrontDeadlines] = []
    for shop, rule in deadline_rules(deps.settings).items():
        missed_until = now - rule.deadline  # paid at or before: past the deadline now
        earliest, at_risk, missed = await store.awaiting_counts(
            shop, missed_until, missed_until + rule.margin
        )
        per_shop.append(
            StorefrontDeadlines(
                storefront=rule.storefront,
                most_urgent_left=None if earliest is None else earliest - missed_until,
                at_risk=at_risk,
                missed=missed,
                missed_today=missed_today.get(shop, 0),
            )
        )
    return summarise(per_shop)


async def escalate_deadlines(deps: Deps) -> tuple[int, int]:
    """One run of the ``deadlines`` job: (lines newly recorded missed, lines posted to the robot)."""
    now = deps.clock()
    missed = posted = 0
    for shop, rule in deadline_rules(deps.settings).items():
        missed += await _record_missed(deps, shop, rule, now)
        if deps.robot is not None and posted < POSTS_PER_RUN:
            posted += await _escalate(deps, shop, rule, now, POSTS_PER_RUN - posted)
    return missed, posted


async def _record_missed(deps: Deps, shop: str, rule: DeadlineRule, now: datetime) -> int:
    store, recorded = deps.store.deadlines, 0
    for _ in range(_BATCHES_PER_RUN):
        found = await store.untold(shop, MISSED_EVENT, now - rule.deadline, _BATCH)
        for line in found:
            if await store.record_once(line, MISSED_EVENT, now, _ACTOR, _detail(line, rule, now)):
                deps.metrics.deadline_missed(rule.storefront)
                recorded += 1
                log.warning("deadline_missed", shop=shop, tid=line.tid, oid=line.oid, state=line.state)
        if len(found) < _BATCH:
            break
    return recorded


async def _escalate(deps: Deps, shop: str, rule: DeadlineRule, now: datetime, room: int) -> int:
    assert deps.robot is not None
    store, posted = deps.store.deadlines, 0
    for line in await store.untold(shop, AT_RISK_EVENT, now - rule.deadline + rule.margin, room):
        if not await store.record_once(line, AT_RISK_EVENT, now, _ACTOR, _detail(line, rule, now)):
            continue  # another instance told it, or it was delivered since it was read
        clocked = clock(line, rule, now)
        text = escalation_text(clocked, clocked.due.astimezone(CST))
        try:
            await deps.robot.post(deps.settings.alerts.title, text)
        except BridgeError as exc:  # recorded as told: never posted twice, so not tried again
            log.warning("deadline_not_posted", shop=shop, tid=line.tid, oid=line.oid, error=str(exc))
            continue
        posted += 1
        log.info("deadline_escalated", shop=shop, tid=line.tid, oid=line.oid, left_s=_detail_left(clocked))
    return posted


def _detail_left(clocked: Clocked) -> int:
    return round(clocked.left.total_seconds())


def _detail(line: UndeliveredLine, rule: DeadlineRule, now: datetime) -> dict[str, object]:
    clocked = clock(line, rule, now)
    return {
        "storefront": rule.storefront,
        "due": clocked.due.isoformat(),
        "left_s": _detail_left(clocked),
    }
