"""The knobs in force, the dice they are rolled with, and what the sandbox counted.

``OrderBook`` is what the platform *holds*; ``Controls`` is how it *behaves*
while serving it: the current ``PddKnobs`` (frozen, replaced whole by
``update``), one seeded ``random.Random`` for injected faults and page
mischief and one for latency, and the counters behind ``GET /sandbox/stats``.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from adapters.pinduoduo.sandbox.knobs import PddKnobs


@dataclass
class SandboxStats:
    """Counters for ``GET /sandbox/stats``."""

    calls: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    injected: Counter[str] = field(default_factory=Counter)
    rate_limited: int = 0
    pages_shifted: int = 0
    rows_duplicated: int = 0
    rows_dropped: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "calls": dict(self.calls),
            "errors": dict(self.errors),
            "injected": dict(self.injected),
            "rate_limited": self.rate_limited,
            "pages_shifted": self.pages_shifted,
            "rows_duplicated": self.rows_duplicated,
            "rows_dropped": self.rows_dropped,
        }


@dataclass
class Controls:
    """The knobs of one sandbox shop, its two random streams and its counters."""

    knobs: PddKnobs
    faults_rng: random.Random
    latency_rng: random.Random
    stats: SandboxStats = field(default_factory=SandboxStats)
    last_listing: tuple[object, list[Any]] | None = None
    """The last list answer and its question: later pages reuse it while nothing changed."""

    def update(self, **changes: Any) -> PddKnobs:
        """Apply a partial update; raises ``pydantic.ValidationError`` and changes nothing if bad."""
        self.knobs = self.knobs.updated(changes)
        return self.knobs
