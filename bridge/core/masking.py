"""One masking policy for everything people read: log lines, event rows, audit entries, pages.

- a card number is shown by ``mask_card`` alone: every character but the last 4 as
  ``*`` (``************5678``); pages, the CLI, audit details, the billing client's log
  context and card-number errors call it, and ``mask_text`` masks with it too;
- card-like digit runs in a text keep their last 4 digits (marketplace ids, 17+ digits,
  and phone numbers are not card-like);
- secrets registered at start (app secrets, session keys) are blanked wherever
  they appear in a text;
- a value whose key has a secret word among its ``_``-separated words (``pin``,
  ``app_secret``, ``session_key``, ``api_key`` …) is replaced whole by ``***``;
- values under id keys (tid, oid, request_id, …) are never card-masked.

Pure apart from the registry of secrets, which ``bridge.wiring`` fills once at
start; no logging library here (``bridge.logs`` calls in from its processor).
"""

from __future__ import annotations

import re
from typing import Any

SECRET_WORDS = frozenset(
    {"pin", "pins", "secret", "session", "password", "sign", "signature", "token", "authorization", "key"}
)
"""A key with one of these among its ``_``-separated words holds a secret."""

ID_KEYS = frozenset({"tid", "oid", "request_id", "operation_id", "line_id"})
"""Keys whose values are identifiers, never card numbers."""

# card-like digit runs: 12-16 digits, or 4-4-4-4 groups; marketplace ids are 17+ digits
_CARD = re.compile(r"(?<![\d*])(?:\d{12,16}|\d{4}[ -]\d{4}[ -]\d{4}[ -]\d{4})(?!\d)")
_KNOWN_SECRETS: set[str] = set()


def register_secret(value: str) -> None:
    """Remember a secret value so that it is blanked wherever it appears in a text."""
    if len(value) >= 4:
        _KNOWN_SECRETS.add(value)


def mask_card(card_no: str) -> str:
    """All but the last 4 characters as ``*`` (all of them when there are 4 or fewer)."""
    if len(card_no) <= 4:
        return "*" * len(card_no)
    return "*" * (len(card_no) - 4) + card_no[-4:]


def mask_text(text: str) -> str:
    """Mask digit runs that look like card numbers (``mask_card`` of their digits) and registered secrets."""
    for secret in _KNOWN_SECRETS:
        if secret in text:
            text = text.replace(secret, "***")

    def _mask(m: re.Match[str]) -> str:
        return mask_card(re.sub(r"\D", "", m.group(0)))

    return _CARD.sub(_mask, text)


def is_secret_key(key: str) -> bool:
    """``pin``, ``app_secret``, ``session_key``, ``api_key`` … but not ``card_no`` or ``pinyin``."""
    return bool(SECRET_WORDS.intersection(key.lower().split("_")))


def mask_value(key: str, value: Any) -> Any:
    """``value`` as it may be shown under ``key``: nested dicts and lists masked by their own keys."""
    if is_secret_key(key):
        return "***"
    if isinstance(value, str):
        return value if key in ID_KEYS else mask_text(value)
    if isinstance(value, dict):
        return {k: mask_value(str(k), v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask_value(key, v) for v in value]
    return value


def mask_detail(detail: Any) -> Any:
    """A detail with no key of its own (an event's or audit entry's): a dict, a list or a text."""
    if isinstance(detail, dict):
        return {k: mask_value(str(k), v) for k, v in detail.items()}
    if isinstance(detail, (list, tuple)):
        return [mask_detail(v) for v in detail]
    if isinstance(detail, str):
        return mask_text(detail)
    return detail
