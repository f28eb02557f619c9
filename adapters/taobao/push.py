"""Taobao's push (TMC) as the storefront port's ``PushSource``: one app's message group.

The group is the Taobao adapter's own configuration (``taobao.tmc.messages.consume``
and ``.confirm`` take it on every call); the bridge only consumes and confirms.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bridge.core.trades import PushBatch


class _Tmc(Protocol):
    async def consume_messages(self, group: str, quantity: int) -> PushBatch: ...

    async def confirm_messages(self, group: str, message_ids: Sequence[str]) -> None: ...


class TmcPush:
    """Consume and confirm the app's messages in ``group`` through ``client``."""

    def __init__(self, client: _Tmc, group: str) -> None:
        self._client = client
        self.group = group

    def __repr__(self) -> str:
        return f"TmcPush(group={self.group!r})"

    async def consume(self, quantity: int) -> PushBatch:
        return await self._client.consume_messages(self.group, quantity)

    async def confirm(self, message_ids: Sequence[str]) -> None:
        await self._client.confirm_messages(self.group, message_ids)
