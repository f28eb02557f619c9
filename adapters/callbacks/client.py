"""POST one callback to a channel client's URL and report the answer's status.

Any status is an answer (the sender decides: a 2xx acknowledges); no answer at all
(a refused or dropped connection, a timeout, a malformed URL) is ``Retryable``.
The body is read and dropped so the connection can be reused. The headers carry
the signature, never the secret, and nothing here logs.
"""

from __future__ import annotations

from collections.abc import Mapping

import aiohttp

from bridge.core.errors import Retryable

__all__ = ["CallbackClient"]


class CallbackClient:
    def __init__(self, http: aiohttp.ClientSession) -> None:
        self._http = http

    async def post(self, url: str, body: bytes, headers: Mapping[str, str], timeout_s: float) -> int:
        timeout = aiohttp.ClientTimeout(total=timeout_s)
        try:
            async with self._http.post(url, data=body, headers=dict(headers), timeout=timeout) as resp:
                await resp.read()
                return resp.status
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise Retryable(f"no answer: {type(exc).__name__}", code="CALLBACK_NO_ANSWER") from None
