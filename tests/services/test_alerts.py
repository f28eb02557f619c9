"""The alert notifier over a bridge on both sandboxes, posting to a local robot webhook in both formats."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest

from adapters.chat_robot.client import ChatRobotClient, RobotKind
from bridge.core.states import LineState
from bridge.services.alerts import Notifier
from bridge.services.cs_actions import resolve
from bridge.services.jobs import build_scheduler
from tests.rig import Rig, line, open_rig
from tests.robot_webhook import Webhook


@pytest.mark.parametrize("kind", ["dingtalk", "wecom"])
async def test_an_exception_backlog_is_posted_once_and_its_end_once(
    tmp_path: Path,
    database: str,
    webhook: Webhook,
    kind: RobotKind,
) -> None:
    """Over the backlog threshold for the rule's 10 minutes: one post; still there: none; resolved: one."""
    hook, url = webhook, webhook.url
    alerts = {"exception_backlog": 0, "title": "电视商城"}
    async with open_rig(tmp_path, database=database, alerts=alerts) as rig, aiohttp.ClientSession() as http:
        deps = replace(rig.deps, robot=ChatRobotClient(http, url, kind))
        notifier = Notifier()
        tid = await rig.order(line(), message="卡号8888888888888888")  # unknown card: EXCEPTION
        await rig.cycle()
        [ln] = await rig.lines(tid)
        assert ln.state is LineState.EXCEPTION
        assert await notifier(deps) == []  # pending: the rule's for is 10 minutes
        rig.later(600)
        [fired] = await notifier(deps)
        assert fired.alert.name == "BridgeExceptionBacklog" and not fired.resolved
        rig.later(60)
        assert await notifier(deps) == []
        outcome = await resolve(deps, "cs1", ln.id, "HANDLED_AT_HALL", "充值在营业厅办理")
        assert outcome.status == "done", outcome
        rig.later(60)
        [ended] = await notifier(deps)
        assert ended.resolved
    assert len(hook.received) == 2
    texts = [str(body["markdown"]) for body in hook.received]
    assert all("电视商城" in t and "BridgeExceptionBacklog" in t for t in texts)
    assert "firing" in texts[0] and "resolved" in texts[1]
    assert not any("8888" in t or str(tid) in t for t in texts)


async def test_a_robot_that_refuses_is_asked_again_next_run(
    tmp_path: Path,
    database: str,
    webhook: Webhook,
) -> None:
    hook, url = webhook, webhook.url
    hook.answer = {"errcode": 300001, "errmsg": "token is not exist"}
    async with open_rig(tmp_path, database=database) as rig, aiohttp.ClientSession() as http:
        deps = replace(rig.deps, robot=ChatRobotClient(http, url, "dingtalk"))
        rig.deps.runtime.breaker.open(rig.deps.clock() + timedelta(hours=2), "MAINTENANCE")
        notifier = Notifier()
        assert await notifier(deps) == []
        rig.later(1800)
        assert await notifier(deps) == []  # refused: not marked as told
        hook.answer = {"errcode": 0, "errmsg": "ok"}
        [fired] = await notifier(deps)
        assert fired.alert.name == "BridgeBillingUnavailable"
    assert len(hook.received) == 2


async def test_the_daemon_runs_the_notifier_only_when_enabled(rig: Rig) -> None:
    settings = rig.deps.settings
    enabled = settings.model_copy(update={"alerts": settings.alerts.model_copy(update={"enabled": True})})
    assert build_scheduler(rig.deps).get_job("alerts") is None
    job = build_scheduler(replace(rig.deps, settings=enabled)).get_job("alerts")
    assert job is not None and job.trigger.interval.total_seconds() == settings.alerts.interval_s
