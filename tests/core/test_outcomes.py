"""Each error of the tree becomes one fixed outcome word, most specific first."""

from __future__ import annotations

import pytest

from bridge.core.errors import Ambiguous, ConfigError, Permanent, RateLimited, Retryable, Unavailable
from bridge.core.outcomes import OUTCOMES, SESSION_INVALID_CODE, outcome_of


@pytest.mark.parametrize(
    ("exc", "word"),
    [
        (None, "ok"),
        (RateLimited("slow down"), "rate_limited"),
        (Unavailable("settlement window"), "unavailable"),
        (Retryable("500"), "retryable"),
        (Permanent("no such card", code="SUBSCRIBER_NOT_FOUND"), "permanent"),
        (Ambiguous("timeout"), "ambiguous"),
        (ConfigError("bad signature", code="TAOBAO_SIGNATURE_INVALID"), "config"),
        (ConfigError("re-authorise", code=SESSION_INVALID_CODE), "session_invalid"),
        (ValueError("a bug"), "error"),
    ],
)
def test_outcome_words(exc: BaseException | None, word: str) -> None:
    assert outcome_of(exc) == word
    assert word in OUTCOMES
