"""The deadlines job over both sandboxes: a line at risk told once to the robot, a missed one counted once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from structlog.testing import capture_logs

from adapters.chat_robot.client import ChatRobotClient
from bridge.core.deadlines import UndeliveredLine
from bridge.core.models import CST
from bridge.services import deadlines
from bridge.services.deadlines import MISSED_EVENT, MissedToday, escalate_deadlines, read_deadlines
from bridge.services.deps import Deps
from bridge.services.metering import NoMetrics
from bridge.store.schema import lines
from tests.rig import Rig, line, open_rig
from tests.robot_webhook import Webhook

HOUR = {"taobao_s": 3600, "margin_s": 600}  # due an hour after payment, told 10 minutes before
UNKNOWN_CARD = "卡号8888888888888888"


@dataclass
class Misses(NoMetrics):
    storefronts: list[str] = field(default_factory=list)

    def deadline_missed(self, storefront: str) -> None:
        self.storefronts.append(storefront)


@asynccontextmanager
async def _bridge(tmp_path: Path, database: str, webhook: Webhook) -> AsyncIterator[tuple[Rig, Deps]]:
    """A rig whose shop must deliver within an hour, and its deps posting to the webhook."""
    async with (
        open_rig(tmp_path, database=database, deadlines=HOUR, alerts={"title": "电视商城"}) as rig,
        aiohttp.ClientSession() as http,
    ):
        yield rig, replace(rig.deps, robot=ChatRobotClient(http, webhook.url, "dingtalk"), metrics=Misses())


async def _stuck(rig: Rig) -> int:
    """An order whose card is unknown: its line waits in EXCEPTION, undelivered; its tid."""
    tid = await rig.order(line(), message=UNKNOWN_CARD)
    await rig.cycle()
    return tid


async def test_a_line_within_the_margin_is_posted_once_with_shop_order_time_left_and_state(
    tmp_path: Path, database: str, webhook: Webhook
) -> None:
    """Paid 51 minutes ago, an hour to deliver: one post naming shop, order, 剩余 and 异常; then none."""
    async with _bridge(tmp_path, database, webhook) as (rig, deps):
        tid = await _stuck(rig)
        assert await escalate_deadlines(deps) == (0, 0)  # an hour left: on time
        rig.later(51 * 60)
        assert await escalate_deadlines(deps) == (0, 1)
        assert await escalate_deadlines(deps) == (0, 0)
        [ln] = await rig.lines(tid)
    [post] = [str(body["markdown"]) for body in webhook.received]
    assert "电视商城" in post and "main" in post and str(tid) in post and str(ln.oid) in post
    assert "剩余 8分" in post or "剩余 9分" in post
    assert "异常" in post and "8888" not in post


async def test_another_instance_or_a_restart_does_not_post_the_line_again(
    tmp_path: Path, database: str, webhook: Webhook
) -> None:
    """A second bridge on the same store (or this one restarted) finds the line told: no second post."""
    async with _bridge(tmp_path, database, webhook) as (rig, deps):
        await _stuck(rig)
        rig.later(55 * 60)
        assert await escalate_deadlines(deps) == (0, 1)
        assert await escalate_deadlines(replace(deps, metrics=Misses())) == (0, 0)
    assert len(webhook.received) == 1


async def test_a_line_past_its_deadline_is_counted_missed_once_by_storefront(
    tmp_path: Path, database: str, webhook: Webhook
) -> None:
    """Past the hour undelivered: counted once for taobao; its first post says 已超时."""
    async with _bridge(tmp_path, database, webhook) as (rig, deps):
        await _stuck(rig)
        rig.later(70 * 60)
        assert await escalate_deadlines(deps) == (1, 1)
        assert await escalate_deadlines(deps) == (0, 0)
        assert isinstance(deps.metrics, Misses) and deps.metrics.storefronts == ["taobao"]
    assert "已超时" in str(webhook.received[0]["markdown"])


async def test_a_delivered_line_is_neither_told_nor_counted(
    tmp_path: Path, database: str, webhook: Webhook
) -> None:
    """Delivered within the hour: nothing to tell, however late the job looks."""
    async with _bridge(tmp_path, database, webhook) as (rig, deps):
        await rig.order(line(), message=f"卡号 {(await rig.cards())[0]}")
        for _ in range(3):
            await rig.cycle()
        rig.later(3 * 3600)
        assert await escalate_deadlines(deps) == (0, 0)
    assert webhook.received == []


async def test_posts_are_capped_per_run_and_the_rest_follow_most_urgent_first(
    tmp_path: Path, database: str, webhook: Webhook, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three lines at risk, two posts a run: the two paid first now, the third at the next run."""
    monkeypatch.setattr(deadlines, "POSTS_PER_RUN", 2)
    async with _bridge(tmp_path, database, webhook) as (rig, deps):
        tids = [await _stuck(rig) for _ in range(3)]
        rig.later(55 * 60)
        assert await escalate_deadlines(deps) == (0, 2)
        assert await escalate_deadlines(deps) == (0, 1)
    posted = [str(body["markdown"]) for body in webhook.received]
    assert [next(t for t in tids if f"{t} " in p) for p in posted] == tids


async def test_a_post_that_fails_is_logged_and_not_tried_again(
    tmp_path: Path, database: str, webhook: Webhook
) -> None:
    """The robot refuses: the line stays told (never posted twice), and the failure is in the log."""
    async with _bridge(tmp_path, database, webhook) as (rig, deps):
        await _stuck(rig)
        rig.later(55 * 60)
        webhook.status = 500
        with capture_logs() as logs:
            assert await escalate_deadlines(deps) == (0, 0)
        webhook.status = 200
        assert await escalate_deadlines(deps) == (0, 0)
    assert any(e["event"] == "deadline_not_posted" for e in logs)


async def test_without_a_robot_lines_at_risk_wait_to_be_told(
    tmp_path: Path, database: str, webhook: Webhook
) -> None:
    """No robot configured: misses are still counted, and a line at risk is told once a robot is there."""
    async with _bridge(tmp_path, database, webhook) as (rig, deps):
        await _stuck(rig)
        rig.later(55 * 60)
        assert await escalate_deadlines(replace(deps, robot=None)) == (0, 0)
        assert await escalate_deadlines(deps) == (0, 1)


async def test_the_figures_count_at_risk_missed_and_missed_today(
    tmp_path: Path, database: str, webhook: Webhook
) -> None:
    """One line missed (and recorded), one at risk: the storefront's counts and its most urgent time left."""
    async with _bridge(tmp_path, database, webhook) as (rig, deps):
        missed, at_risk = await _stuck(rig), await _stuck(rig)
        now = deps.clock()
        async with rig.deps.store.engine.begin() as conn:
            for tid, minutes in ((missed, 62), (at_risk, 52)):
                paid = now - timedelta(minutes=minutes)
                await conn.execute(lines.update().where(lines.c.tid == tid).values(paid_at=paid))
        await escalate_deadlines(deps)
        [taobao] = await read_deadlines(deps, now)
    assert taobao.storefront == "taobao"
    assert (taobao.at_risk, taobao.missed, taobao.missed_today) == (1, 1, 1)
    assert taobao.most_urgent_left == timedelta(minutes=-2)


async def test_the_days_misses_are_counted_again_after_a_minute(
    tmp_path: Path, database: str, webhook: Webhook
) -> None:
    """A miss recorded after a count shows once a minute has passed (the day's events are dear to count)."""
    async with _bridge(tmp_path, database, webhook) as (rig, deps):
        await _stuck(rig)
        rig.later(59 * 60 + 30)  # 30 s before the deadline
        [before] = await read_deadlines(deps, deps.clock())
        rig.later(40)
        await escalate_deadlines(deps)
        [soon] = await read_deadlines(deps, deps.clock())  # 40 s after the last count
        rig.later(30)
        [later] = await read_deadlines(deps, deps.clock())
    assert (before.missed_today, soon.missed_today, later.missed_today) == (0, 0, 1)
    assert soon.missed == 1  # the lines past their deadline now are counted at every reading


async def test_the_days_misses_start_again_at_local_midnight(
    tmp_path: Path, database: str, webhook: Webhook
) -> None:
    """Counted 10 s before midnight (China time), again 10 s after it: yesterday's miss is not today's."""
    async with _bridge(tmp_path, database, webhook) as (rig, deps):
        tid = await _stuck(rig)
        [ln] = await rig.lines(tid)
        midnight = (deps.clock().astimezone(CST) + timedelta(days=1)).replace(
            hour=0, minute=0, second=0, microsecond=0
        )
        stuck = UndeliveredLine(ln.id, ln.shop, ln.tid, ln.oid, midnight - timedelta(hours=2), ln.state.value)
        await deps.store.deadlines.record_once(
            stuck, MISSED_EVENT, midnight - timedelta(seconds=20), "system", {}
        )
        tally = MissedToday()
        yesterday = midnight - timedelta(days=1)
        assert await tally.read(deps, midnight - timedelta(seconds=10), yesterday) == {"main": 1}
        assert await tally.read(deps, midnight + timedelta(seconds=10), midnight) == {"main": 0}
