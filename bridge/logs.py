"""Logging: structlog configured once, JSON lines (readable on a terminal).

Every event passes :func:`mask_sensitive` before it is rendered: card numbers
keep their last 4 digits; PINs, secrets, signatures and session keys are
replaced whatever key or text they hide in.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

_SECRET_WORDS = frozenset(
    {"pin", "pins", "secret", "session", "password", "sign", "signature", "token", "authorization", "key"}
)
# card-like digit runs: 12-16 digits, or 4-4-4-4 groups; marketplace ids are 17+ digits
_CARD = re.compile(r"(?<![\d*])(?:\d{12,16}|\d{4}[ -]\d{4}[ -]\d{4}[ -]\d{4})(?!\d)")
_ID_KEYS = frozenset({"tid", "oid", "request_id", "operation_id", "line_id"})
_KNOWN_SECRETS: set[str] = set()


def register_secret(value: str) -> None:
    """Remember a secret value so that it is blanked wherever it appears in a log line."""
    if len(value) >= 4:
        _KNOWN_SECRETS.add(value)


def mask_text(text: str) -> str:
    """Mask digit runs that look like card numbers (keep the last 4) and registered secrets."""
    for secret in _KNOWN_SECRETS:
        if secret in text:
            text = text.replace(secret, "***")

    def _mask(m: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", m.group(0))
        return "*" * (len(digits) - 4) + digits[-4:]

    return _CARD.sub(_mask, text)


def _mask_value(key: str, value: Any) -> Any:
    if _SECRET_WORDS.intersection(key.lower().split("_")):  # pin, app_secret, session_key, api_key ...
        return "***"
    if isinstance(value, str):
        return value if key in _ID_KEYS else mask_text(value)
    if isinstance(value, dict):
        return {k: _mask_value(str(k), v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_mask_value(key, v) for v in value]
    return value


def mask_sensitive(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: mask card numbers, PINs, secrets and session keys."""
    for key in list(event_dict):
        event_dict[key] = _mask_value(key, event_dict[key])
    return event_dict


def configure_logging(level: str = "info", fmt: str = "auto", stream: Any = None) -> None:
    """Configure structlog once for the process (the CLI calls this at start)."""
    stream = stream or sys.stderr
    use_json = fmt == "json" or (fmt == "auto" and not stream.isatty())
    renderer: Any = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if use_json
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.WARNING, handlers=[handler], force=True)
    # a skipped run of a coalesced job is expected back-pressure, not a warning
    logging.getLogger("apscheduler.scheduler").setLevel(logging.ERROR)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=False),
            structlog.processors.format_exc_info,
            mask_sensitive,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(stream),
        cache_logger_on_first_use=False,
    )


def get_logger(name: str) -> Any:
    return structlog.get_logger(name)
