"""The sandbox's fault and timing knobs, one validated pydantic model.

Knobs are set from Python (``sandbox.knobs = ...`` / ``update_knobs``) or over
HTTP (``POST /sandbox/knobs`` with a partial JSON object); either way a bad
value is refused with a message naming it, never half-applied.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class ErrorRates(BaseModel):
    """Probability (0..1) that a router call is answered with each injected error."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    isp: float = Field(default=0.0, ge=0.0, le=1.0)
    """code 15 ``isp.top-remote-connection-timeout`` (retryable)."""
    call_limit: float = Field(default=0.0, ge=0.0, le=1.0)
    """code 7 ``accesscontrol.limited-by-api-access-count``, a 1-second ban."""
    session: float = Field(default=0.0, ge=0.0, le=1.0)
    """code 27 ``invalid-sessionkey``, as if the seller revoked the app."""


class TaobaoKnobs(BaseModel):
    """How the sandbox misbehaves; the defaults are a perfect marketplace."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    latency_ms: tuple[int, int] = (0, 0)
    """Each router call waits uniform(min, max) milliseconds; a single number means both."""
    error_rate: ErrorRates = ErrorRates()
    rate_limit_per_s: int = Field(default=0, ge=0)
    """Router calls allowed per rolling second before code 7; 0 = unlimited."""
    visibility_delay_s: float = Field(default=0.0, ge=0.0)
    """A change shows in increment.get only this long after its ``modified``; fullinfo sees it at once."""
    shift_pages: bool = False
    """After each increment.get page, bump one trade of that page so later pages shift."""
    tmc_redelivery_s: float = Field(default=30.0, gt=0.0)
    """A consumed message not confirmed within this long is handed out again."""
    tmc_duplicate_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    """Chance that a message, when first handed out, is also queued again under a new id."""
    tmc_reorder_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    """Chance that a consume hands out a random choice of the waiting messages, shuffled."""
    tmc_drop_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    """Chance that a message is lost outright instead of being handed out the first time."""

    @field_validator("latency_ms", mode="before")
    @classmethod
    def _single_latency(cls, value: object) -> object:
        return (value, value) if isinstance(value, int) and not isinstance(value, bool) else value

    @model_validator(mode="after")
    def _latency_range(self) -> TaobaoKnobs:
        low, high = self.latency_ms
        if low < 0 or high < low:
            raise ValueError(
                f"latency_ms must be [min, max] with 0 <= min <= max, got {list(self.latency_ms)}"
            )
        return self

    def updated(self, changes: Mapping[str, Any]) -> TaobaoKnobs:
        """A copy with ``changes`` applied (``error_rate`` merges key by key); validated."""
        merged: dict[str, Any] = self.model_dump()
        for key, value in changes.items():
            if key == "error_rate" and isinstance(value, Mapping):
                merged[key] = {**merged[key], **value}
            else:
                merged[key] = value
        return TaobaoKnobs.model_validate(merged)
