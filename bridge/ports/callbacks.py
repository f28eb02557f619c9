"""The Protocol of the HTTP poster the callbacks' sender POSTs through (``adapters/callbacks``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol


class CallbackPosterPort(Protocol):
    async def post(self, url: str, body: bytes, headers: Mapping[str, str], timeout_s: float) -> int:
        """POST ``body`` to ``url``; the answer's HTTP status. ``Retryable`` when no answer came (refused or
        dropped connection, timeout): the outcome is unknown, the callback is tried again later."""
        ...
