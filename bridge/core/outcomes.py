"""How a remote call ended, as one short word: the ``outcome`` label of the call metrics.

The words follow the error tree (``bridge.core.errors``), most specific first,
so a dashboard can tell a settlement window (``unavailable``) from a call limit
(``rate_limited``) and a seller's expired authorisation (``session_invalid``)
from other configuration mistakes. Only these fixed words ever become labels:
never a message, a card number or a request_id.
"""

from __future__ import annotations

from bridge.core.errors import Ambiguous, ConfigError, Permanent, RateLimited, Retryable, Unavailable

__all__ = ["OUTCOMES", "SESSION_INVALID_CODE", "outcome_of"]

SESSION_INVALID_CODE = "TAOBAO_SESSION_INVALID"
"""The code the marketplace adapter gives a missing, invalid or expired session key."""

_BY_CLASS: tuple[tuple[type[BaseException], str], ...] = (
    (RateLimited, "rate_limited"),
    (Unavailable, "unavailable"),
    (Retryable, "retryable"),
    (Permanent, "permanent"),
    (Ambiguous, "ambiguous"),
    (ConfigError, "config"),
)

OUTCOMES = ("ok", "session_invalid", *(word for _, word in _BY_CLASS), "error")


def outcome_of(exc: BaseException | None) -> str:
    """``ok`` for a call that returned, else the word for what it raised (``error``: anything else)."""
    if exc is None:
        return "ok"
    if isinstance(exc, ConfigError) and exc.code == SESSION_INVALID_CODE:
        return "session_invalid"
    for kind, word in _BY_CLASS:
        if isinstance(exc, kind):
            return word
    return "error"
