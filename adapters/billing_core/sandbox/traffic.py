"""The knobs at work: the calls in flight, the dice they are rolled with, and the counts.

``SandboxState`` holds what the billing core *is* (accounts, ledger);
``Traffic`` holds what happens to the calls on their way to it: the knobs in
force (replaced whole by ``set_knobs`` or ``POST /sandbox/knobs``, or changed
field by field), one seeded ``random.Random`` for latency, injected errors and
lost answers, the in-flight cap per API key, and the counters behind
``GET /sandbox/stats``. It knows nothing of HTTP routes, so the middlewares,
the admin routes and the ``BillingSandbox`` that owns it can all import it.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from adapters.billing_core.sandbox.knobs import BillingKnobs
from adapters.billing_core.sandbox.records import SandboxError


class Traffic:
    """The knobs in force and the calls they act on."""

    def __init__(self, knobs: BillingKnobs, seed: int) -> None:
        self.knobs = knobs
        self.rng = random.Random(seed)  # latency, injected errors and lost answers
        self.calls: Counter[tuple[str, str]] = Counter()  # (endpoint, status or "lost")
        self.in_flight: Counter[str] = Counter()  # by API key
        self.lost_answers = 0
        self.lost_reversal_answers = 0
        self.slow_applies = 0
        self._tasks: set[asyncio.Task[Any]] = set()

    def set_knobs(self, **changes: Any) -> BillingKnobs:
        """Change some knobs at once (validated together); returns the new set."""
        self.knobs = BillingKnobs.model_validate({**self.knobs.model_dump(), **changes})
        return self.knobs

    @contextmanager
    def admit(self, api_key: str) -> Iterator[None]:
        """Hold one in-flight slot for ``api_key``, or refuse with 429 beyond the cap."""
        cap = self.knobs.max_in_flight
        if cap and self.in_flight[api_key] >= cap:
            raise SandboxError(429, "RATE_LIMITED", f"more than {cap} requests in flight", retry_after=1)
        task = asyncio.current_task()
        tasks = {task} if task is not None else set()
        self.in_flight[api_key] += 1
        self._tasks |= tasks
        try:
            yield
        finally:
            self.in_flight[api_key] -= 1
            self._tasks -= tasks

    def stall_s(self) -> float:
        """How long this call waits before it is handled (the latency knobs)."""
        return self.knobs.sample_latency_s(self.rng)

    def fails(self) -> bool:
        """Whether this call gets the injected 500 (one roll per call, whatever the rate)."""
        return self.rng.random() < self.knobs.error_rate

    def loses_answer(self) -> bool:
        """Whether this applied operation's answer is dropped (one roll per apply, whatever the rate)."""
        return self.rng.random() < self.knobs.lose_answer_rate

    def loses_reversal_answer(self) -> bool:
        """Whether this reversal's answer is dropped once applied (rolled only while the knob is on)."""
        return (
            self.knobs.lose_reversal_answer_rate > 0
            and self.rng.random() < self.knobs.lose_reversal_answer_rate
        )

    def refuses_reversal(self) -> bool:
        """Whether this reversal is refused with REVERSAL_NOT_ALLOWED (rolled only while the knob is on)."""
        return self.knobs.refuse_reversal_rate > 0 and self.rng.random() < self.knobs.refuse_reversal_rate

    def apply_delay_s(self) -> float:
        """How long this apply takes to land (the slow-apply knobs); rolled only while they are on."""
        rate = self.knobs.slow_apply_rate
        if rate <= 0 or self.rng.random() >= rate:
            return 0.0
        return self.knobs.slow_apply_s

    async def drain(self, timeout_s: float) -> None:
        """Wait until no call is being handled, or ``timeout_s`` passed."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout_s)

    def cancel_in_flight(self) -> None:
        """Cut every call being handled (a crash): whatever was not applied yet never will be."""
        for task in list(self._tasks):
            task.cancel()

    def counters(self) -> dict[str, Any]:
        """Calls by endpoint and outcome, calls in flight by key, answers lost."""
        calls: dict[str, dict[str, int]] = {}
        for (endpoint, status), count in sorted(self.calls.items()):
            calls.setdefault(endpoint, {})[status] = count
        return {
            "calls": calls,
            "in_flight": dict(self.in_flight),
            "lost_answers": self.lost_answers,
            "lost_reversal_answers": self.lost_reversal_answers,
            "slow_applies": self.slow_applies,
        }
