"""What a person typed into a card correction when their session had run out, kept until they sign in.

Submitting a correction without a session sends the person to the sign-in page;
the card number they typed waits here, in this process's memory, under a random
token that the sign-in page carries back in ``next`` (``/orders/s/1?draft=…``).
The token is all that travels in a URL, so the number never reaches an access
log; drafts last ``TTL_S`` and at most ``LIMIT`` are kept (the oldest go first),
so requests without a session cannot fill the memory. A restart forgets them:
the person then types the number again.
"""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

__all__ = ["DRAFTS_KEY", "CardDraft", "Drafts"]

TTL_S = 600.0
LIMIT = 500


@dataclass(frozen=True)
class CardDraft:
    """The card correction a person had typed for ``line_id`` (the card as typed, and the note)."""

    line_id: int
    card: str
    note: str


class Drafts:
    """Card drafts by token, each for ``ttl_s`` seconds, at most ``limit`` at a time."""

    def __init__(
        self, ttl_s: float = TTL_S, limit: int = LIMIT, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl_s = ttl_s
        self._limit = limit
        self._clock = clock
        self._kept: OrderedDict[str, tuple[float, CardDraft]] = OrderedDict()

    def keep(self, draft: CardDraft) -> str:
        """Keep ``draft``; the token that finds it again."""
        self._drop_expired()
        while len(self._kept) >= self._limit:
            self._kept.popitem(last=False)
        token = secrets.token_urlsafe(16)
        self._kept[token] = (self._clock() + self._ttl_s, draft)
        return token

    def find(self, token: str) -> CardDraft | None:
        """The draft kept under ``token``, while it lasts (a reload finds it again)."""
        self._drop_expired()
        found = self._kept.get(token)
        return found[1] if found is not None else None

    def _drop_expired(self) -> None:
        now = self._clock()
        for token in [token for token, (until, _) in self._kept.items() if until <= now]:
            del self._kept[token]


DRAFTS_KEY = web.AppKey("card_drafts", Drafts)
