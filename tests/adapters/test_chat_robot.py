"""The chat robot's client against a local webhook: both message formats, refusals and outages."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from adapters.chat_robot.client import ChatRobotClient, RobotKind
from bridge.core.errors import Permanent, Retryable
from tests.robot_webhook import Webhook


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (
            "dingtalk",
            {"msgtype": "markdown", "markdown": {"title": "bridge", "text": "#### bridge\n\nhello"}},
        ),
        ("wecom", {"msgtype": "markdown", "markdown": {"content": "**bridge**\nhello"}}),
    ],
)
async def test_each_robot_gets_its_own_format(
    webhook: Webhook, kind: RobotKind, expected: dict[str, Any]
) -> None:
    hook, url = webhook, webhook.url
    async with aiohttp.ClientSession() as http:
        await ChatRobotClient(http, url, kind).post("bridge", "hello")
    assert hook.received == [expected]


async def test_a_refusal_is_permanent_and_names_no_token(webhook: Webhook) -> None:
    """A wrong keyword or token (errcode ≠ 0) needs a person; the URL's token is not in the error."""
    hook, url = webhook, webhook.url
    hook.answer = {"errcode": 310000, "errmsg": "keywords not in content"}
    async with aiohttp.ClientSession() as http:
        with pytest.raises(Permanent) as caught:
            await ChatRobotClient(http, url, "dingtalk").post("bridge", "hello")
    assert "310000" in str(caught.value) and "tok" not in str(caught.value)


async def test_a_server_error_or_no_answer_is_retryable(webhook: Webhook) -> None:
    hook, url = webhook, webhook.url
    hook.status = 502
    async with aiohttp.ClientSession() as http:
        with pytest.raises(Retryable):
            await ChatRobotClient(http, url, "wecom").post("bridge", "hello")
        with pytest.raises(Retryable):
            await ChatRobotClient(http, "http://127.0.0.1:9/robot", "wecom").post("bridge", "hello")
