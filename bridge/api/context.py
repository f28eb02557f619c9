"""What the order API's handlers share: its settings, the store's ``api_orders`` role, the clock, the
hook a newly stored order is handed to (the daemon's intake; nothing by default), and this instance's
own state (each client's token bucket, when old signatures were last deleted)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from aiohttp import web

from bridge.core.token_bucket import TokenBucket
from bridge.ports import ApiOrderStorePort
from bridge.services.api_orders import SignatureBook
from bridge.settings_api import ApiClientSettings, ApiSettings

__all__ = ["BODY", "CLIENT", "CONTEXT_KEY", "ApiContext"]

CLIENT = web.RequestKey("api_client", str)  # the signed request's client (its name)
BODY = web.RequestKey("api_body", bytes)  # the request's body, read once by the signature check


@dataclass
class ApiContext:
    settings: ApiSettings
    orders: ApiOrderStorePort
    now: Callable[[], datetime]  # the services' clock (the database's, in the daemon)
    monotonic: Callable[[], float] = time.monotonic  # the rate limits' clock
    buckets: dict[str, TokenBucket] = field(default_factory=dict)  # in memory, per instance
    signatures: SignatureBook = field(default_factory=SignatureBook)
    on_order: Callable[[str, str], None] = lambda client, order_id: (
        None
    )  # an order stored or refunded: take it in

    def client_by_key(self, key_id: str) -> tuple[str, ApiClientSettings] | None:
        """The client whose key id this is (its name and settings), or None."""
        for name, client in self.settings.clients.items():
            if client.key_id == key_id:
                return name, client
        return None

    def wait_for_token(self, name: str, client: ApiClientSettings) -> float:
        """0.0 when the client may go on now (a token taken), else the seconds until it may."""
        now = self.monotonic()
        bucket = self.buckets.setdefault(name, TokenBucket.full(client.rate_per_s, client.burst, now))
        return bucket.take(now)


CONTEXT_KEY = web.AppKey("api_context", ApiContext)
