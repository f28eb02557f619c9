"""Post a markdown message to a DingTalk or WeCom group robot's webhook.

Both answer HTTP 200 with ``{"errcode": 0, "errmsg": "ok"}`` when the message
was taken; another errcode is a refusal (a wrong token or keyword: a person
fixes the settings), a 429 or 5xx or no answer is tried again later. The URL
carries the robot's token: it is never logged or put in an error.
"""

from __future__ import annotations

from typing import Any, Literal

import aiohttp

from bridge.core.errors import Permanent, RateLimited, Retryable

__all__ = ["ChatRobotClient", "RobotKind", "robot_body"]

RobotKind = Literal["dingtalk", "wecom"]


def robot_body(kind: RobotKind, title: str, text: str) -> dict[str, Any]:
    """The webhook's JSON for one markdown message (the two robots name their fields differently)."""
    if kind == "dingtalk":
        return {"msgtype": "markdown", "markdown": {"title": title, "text": f"#### {title}\n\n{text}"}}
    return {"msgtype": "markdown", "markdown": {"content": f"**{title}**\n{text}"}}


class ChatRobotClient:
    def __init__(
        self, http: aiohttp.ClientSession, url: str, kind: RobotKind, timeout_s: float = 10.0
    ) -> None:
        self._http = http
        self._url = url
        self._kind = kind
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)

    async def post(self, title: str, text: str) -> None:
        body = robot_body(self._kind, title, text)
        try:
            async with self._http.post(self._url, json=body, timeout=self._timeout) as resp:
                status = resp.status
                answer = await resp.json(content_type=None) if status == 200 else None
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise Retryable(f"the chat robot did not answer: {type(exc).__name__}") from None
        _check(status, answer)


def _check(status: int, answer: object) -> None:
    if status == 429:
        raise RateLimited("the chat robot asks to slow down", code="HTTP_429")
    if status >= 500:
        raise Retryable(f"the chat robot answered HTTP {status}", code=f"HTTP_{status}")
    if status != 200:
        raise Permanent(f"the chat robot refused the message: HTTP {status}", code=f"HTTP_{status}")
    errcode = answer.get("errcode") if isinstance(answer, dict) else None
    if errcode != 0:
        message = answer.get("errmsg", "") if isinstance(answer, dict) else ""
        raise Permanent(
            f"the chat robot refused the message: {errcode} {message}".strip(), code="ROBOT_REFUSED"
        )
