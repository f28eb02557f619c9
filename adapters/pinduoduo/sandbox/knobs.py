"""The sandbox's fault and timing knobs, one validated pydantic model.

Knobs are set from Python (``sandbox.update_knobs``) or over HTTP
(``POST /sandbox/knobs`` with a partial JSON object); either way a bad value
is refused with a message naming it, never half-applied.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class ErrorRates(BaseModel):
    """Probability (0..1) that a gateway call is answered with each injected error."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rate_limit: float = Field(default=0.0, ge=0.0, le=1.0)
    """error_code 70031 调用过于频繁."""
    busy: float = Field(default=0.0, ge=0.0, le=1.0)
    """error_code 52103 服务暂时不可用."""
    system: float = Field(default=0.0, ge=0.0, le=1.0)
    """error_code 50000 系统内部错误 (a write answered so may still have been applied)."""
    expired_token: float = Field(default=0.0, ge=0.0, le=1.0)
    """error_code 10019 access_token已过期."""


class PddKnobs(BaseModel):
    """How the sandbox misbehaves; the defaults are a perfect platform."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    latency_ms: tuple[int, int] = (0, 0)
    """Each gateway call waits uniform(min, max) milliseconds; a single number means both."""
    error_rate: ErrorRates = ErrorRates()
    rate_limit_per_s: int = Field(default=0, ge=0)
    """Gateway calls allowed per rolling second before 70031; 0 = unlimited."""
    token_expired: bool = False
    """Every call that needs the shop's token answers 10019, as when the seller's grant lapsed."""
    clock_skew_s: float = 0.0
    """The platform's clock runs this far ahead of this host's (behind when negative)."""
    visibility_delay_s: float = Field(default=0.0, ge=0.0)
    """A change shows in the incremental list only this long after its ``updated_at``."""
    shift_pages: bool = False
    """After each list page, edit one order of that page (its ``updated_at`` jumps to now)."""
    duplicate_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    """Chance that a list page also repeats a row of the page before it."""
    partial_page_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    """Chance that a list page drops its last row though the total counts it."""
    vague_already_shipped: bool = False
    """Answer a second delivery with a generic refusal (no "已发货" text) instead of the clear one."""

    @field_validator("latency_ms", mode="before")
    @classmethod
    def _single_latency(cls, value: object) -> object:
        return (value, value) if isinstance(value, int) and not isinstance(value, bool) else value

    @model_validator(mode="after")
    def _latency_range(self) -> PddKnobs:
        low, high = self.latency_ms
        if low < 0 or high < low:
            raise ValueError(
                f"latency_ms must be [min, max] with 0 <= min <= max, got {list(self.latency_ms)}"
            )
        return self

    def updated(self, changes: Mapping[str, Any]) -> PddKnobs:
        """A copy with ``changes`` applied (``error_rate`` merges key by key); validated."""
        merged: dict[str, Any] = self.model_dump()
        for key, value in changes.items():
            if key == "error_rate" and isinstance(value, Mapping):
                merged[key] = {**merged[key], **value}
            else:
                merged[key] = value
        return PddKnobs.model_validate(merged)
