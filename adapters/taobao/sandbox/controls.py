"""The knobs in force, the dice they are rolled with, and what the sandbox counted.

``TradeBook`` is what the marketplace *holds*; ``Controls`` is how it
*behaves* while serving it: the current ``TaobaoKnobs`` (frozen, replaced
whole by ``update``), one seeded ``random.Random`` for injected faults and
page shifts and one for latency, and the counters behind
``GET /sandbox/stats``. The router methods, the gateway and the shopper
endpoints each take the book and the controls, never the assembled
``TaobaoSandbox``, so they sit below it and never import it.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from adapters.taobao.sandbox.knobs import TaobaoKnobs

_MESSAGE_COUNTS = ("handed_out", "redelivered", "confirmed", "dropped", "duplicated")


@dataclass
class SandboxStats:
    """Counters for ``GET /sandbox/stats``."""

    calls: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    errors_injected: Counter[str] = field(default_factory=Counter)
    rate_limited: int = 0
    pages_shifted: int = 0
    messages: Counter[str] = field(default_factory=Counter)
    """TMC: handed_out, redelivered, confirmed, dropped, duplicated."""

    def to_json(self) -> dict[str, Any]:
        return {
            "calls": dict(self.calls),
            "errors": dict(self.errors),
            "errors_injected": {k: self.errors_injected[k] for k in ("isp", "call_limit", "session")},
            "rate_limited": self.rate_limited,
            "pages_shifted": self.pages_shifted,
            "messages": {k: self.messages[k] for k in _MESSAGE_COUNTS},
        }


@dataclass
class Controls:
    """The knobs of one sandbox shop, its two random streams and its counters."""

    knobs: TaobaoKnobs
    faults_rng: random.Random
    latency_rng: random.Random
    stats: SandboxStats = field(default_factory=SandboxStats)
    last_listing: tuple[object, list[Any]] | None = None
    """The last ``increment.get`` answer and its question: later pages reuse it while nothing changed."""

    def update(self, **changes: Any) -> TaobaoKnobs:
        """Apply a partial update; raises ``pydantic.ValidationError`` and changes nothing if bad."""
        self.knobs = self.knobs.updated(changes)
        return self.knobs
