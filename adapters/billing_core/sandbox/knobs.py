"""The sandbox's misbehaviour knobs: what a real billing core does on a bad day.

One validated model, settable from Python (``sandbox.knobs.maintenance = True``)
and over HTTP (``POST /sandbox/knobs`` with any subset of the fields). Also
the two pure decisions the knobs drive: how long to stall a call, and whether
the settlement window is open right now.

Two knobs play an older or overloaded billing core: ``dedupe = False`` applies
a request_id sent again as a new operation (the lookup then answers one of
them), and ``slow_apply_rate`` makes some applies land ``slow_apply_s`` after
the request arrived (answered only then, so past a shorter client timeout, and
invisible to ``GET /v1/operations/{id}`` until it has landed).

Reversals have their own: ``lose_reversal_answer_rate`` undoes the operation
and then drops the connection, ``refuse_reversal_rate`` answers 422
``REVERSAL_NOT_ALLOWED`` as a core does once the credit was spent; with
``dedupe = False`` a reversal sent again is undone again (the ledger counts
each operation's reversals, so "never reversed twice" can be checked).
``version = "1.0"`` plays a core without the day's listing (``GET /v1/operations?date=``,
interface 1.1): it answers 404 or 405 (``listing_absent``), as such cores in the field do.

Latency is lognormal: ``latency_ms`` is the median and ``latency_tail_ms`` the
99th percentile (sigma = ln(tail / median) / 2.326), each sample capped at three
times the tail so a test never waits unboundedly. Both zero means no stall; a
tail at or below the median means a constant ``latency_ms``.
"""

from __future__ import annotations

import math
import random
import re
from datetime import datetime, time, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from adapters.billing_core.sandbox.wire import AwareTime
from bridge.core.models import CST

_Z99 = 2.3263  # standard normal quantile of 0.99
_NIGHTLY = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")


class BillingKnobs(BaseModel):
    """Everything that makes the sandbox slow, closed, lossy or failing. Defaults: well-behaved."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    latency_ms: float = Field(0.0, ge=0, description="median latency of a /v1 call")
    latency_tail_ms: float = Field(0.0, ge=0, description="~99th percentile latency")
    max_in_flight: int = Field(0, ge=0, description="per API key; beyond it 429 RATE_LIMITED; 0 = no cap")
    maintenance: bool = Field(False, description="503 MAINTENANCE on every /v1 call while true")
    maintenance_retry_after_s: int = Field(60, ge=1, description="Retry-After while `maintenance` is on")
    maintenance_from: AwareTime | None = Field(None, description="start of a one-off window")
    maintenance_until: AwareTime | None = Field(None, description="end of that window (exclusive)")
    maintenance_nightly: str | None = Field(
        None, description='daily window in CST, e.g. "23:50-00:10" (may wrap past midnight)'
    )
    lose_answer_rate: float = Field(
        0.0, ge=0, le=1, description="POST /v1/operations applied and recorded, then the connection dropped"
    )
    error_rate: float = Field(0.0, ge=0, le=1, description="500 INTERNAL before anything is applied")
    dedupe: bool = Field(
        True, description="false: an older core that applies a repeated request_id again, as a new operation"
    )
    slow_apply_rate: float = Field(
        0.0, ge=0, le=1, description="POST /v1/operations applied only after `slow_apply_s` (404 until then)"
    )
    slow_apply_s: float = Field(2.0, ge=0, le=120, description="how long a slow apply takes to land")
    lose_reversal_answer_rate: float = Field(
        0.0, ge=0, le=1, description="POST /v1/operations/{id}/reversal applied, then the connection dropped"
    )
    refuse_reversal_rate: float = Field(
        0.0,
        ge=0,
        le=1,
        description="422 REVERSAL_NOT_ALLOWED before anything is undone (the credit was spent)",
    )
    version: Literal["1.0", "1.1"] = Field(
        "1.1", description='"1.0": an older core without GET /v1/operations?date= (answers `listing_absent`)'
    )
    listing_absent: Literal[404, 405] = Field(405, description="what a 1.0 core answers to the day's listing")

    @field_validator("maintenance_nightly")
    @classmethod
    def _nightly_format(cls, value: str | None) -> str | None:
        if value is not None and not _NIGHTLY.match(value):
            raise ValueError('expected "HH:MM-HH:MM" (CST)')
        return value

    def maintenance_retry_after(self, now: datetime) -> int | None:
        """Seconds until the billing core reopens, or ``None`` when it is open at ``now``."""
        if self.maintenance:
            return self.maintenance_retry_after_s
        ends = [self._one_off_end(now), _nightly_end(self.maintenance_nightly, now)]
        open_until = [end for end in ends if end is not None]
        if not open_until:
            return None
        return max(1, math.ceil((max(open_until) - now).total_seconds()))

    def _one_off_end(self, now: datetime) -> datetime | None:
        start, end = self.maintenance_from, self.maintenance_until
        if start is None or end is None:
            return None
        return end if start <= now < end else None

    def sample_latency_s(self, rng: random.Random) -> float:
        """One stall, in seconds, drawn from the lognormal described above."""
        median = self.latency_ms
        if median <= 0:
            return 0.0
        tail = self.latency_tail_ms
        if tail <= median:
            return median / 1000
        sigma = math.log(tail / median) / _Z99
        sample = median * math.exp(sigma * rng.gauss(0.0, 1.0))
        return min(sample, 3 * tail) / 1000


def _nightly_end(window: str | None, now: datetime) -> datetime | None:
    """End of the daily window containing ``now`` (CST), or ``None`` outside it."""
    match = _NIGHTLY.match(window) if window else None
    if match is None:
        return None
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    local = now.astimezone(CST)
    start, end = time(h1, m1), time(h2, m2)
    today = local.date()
    for day in (today - timedelta(days=1), today):
        opens = datetime.combine(day, start, CST)
        closes = datetime.combine(day if end > start else day + timedelta(days=1), end, CST)
        if opens <= local < closes:
            return closes
    return None
