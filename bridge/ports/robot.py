"""The Protocol of a group-chat robot the alert notifier posts to (``adapters/chat_robot``)."""

from __future__ import annotations

from typing import Protocol


class ChatRobotPort(Protocol):
    async def post(self, title: str, text: str) -> None:
        """Post one message; ``Retryable``: try later, ``Permanent``: a person fixes the settings."""
        ...
