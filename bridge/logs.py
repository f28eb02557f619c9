"""Logging: structlog configured once, JSON lines (readable on a terminal).

Every event passes :func:`mask_sensitive` before it is rendered; the policy
itself (card numbers keep their last 4 digits; PINs, secrets, signatures and
session keys are replaced whatever key or text they hide in) is
``bridge.core.masking``, the same one event rows and pages use.

Two more processors keep a bad day's log readable and bounded: ``Quieten``
passes a warning or an error the first time and then drops the identical ones
for ``interval_s``, the next one that passes carrying ``repeated`` (how many
were dropped); ``cut_long_values`` cuts any value longer than
``MAX_VALUE_CHARS`` (a traceback: ``MAX_TRACEBACK_CHARS``) with a note of its
length, so no line runs to megabytes.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, MutableMapping
from typing import Any

import structlog

from bridge.core.masking import mask_value

__all__ = [
    "MAX_TRACEBACK_CHARS",
    "MAX_VALUE_CHARS",
    "Quieten",
    "configure_logging",
    "cut_long_values",
    "get_logger",
    "mask_sensitive",
]

MAX_VALUE_CHARS = 1000
MAX_TRACEBACK_CHARS = 4000
_QUIETENED = frozenset({"warning", "error", "critical", "exception"})


def mask_sensitive(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: mask card numbers, PINs, secrets and session keys."""
    for key in list(event_dict):
        event_dict[key] = mask_value(key, event_dict[key])
    return event_dict


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else f"{text[:limit]}… [cut: {len(text)} chars]"


def cut_long_values(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: a value longer than the limit is cut to it, with a note of its length."""
    for key, value in event_dict.items():
        limit = MAX_TRACEBACK_CHARS if key == "exception" else MAX_VALUE_CHARS
        if isinstance(value, str):
            event_dict[key] = _cut(value, limit)
        elif isinstance(value, (bytes, list, tuple, dict, set, frozenset)) and len(value) > 8:
            shown = repr(value)
            if len(shown) > limit:
                event_dict[key] = _cut(shown, limit)
    return event_dict


class Quieten:
    """structlog processor: an identical warning or error logged once per ``interval_s``, with a count.

    Identical means the same event, level and values (the timestamp is added after this
    processor). The one that passes after a quiet spell carries ``repeated``: how many
    were dropped since the last one shown.
    """

    def __init__(self, interval_s: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._interval_s, self._clock = interval_s, clock
        self._seen: dict[str, tuple[float, int]] = {}  # key → (when last shown, dropped since)

    def __call__(self, _: Any, method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        if str(event_dict.get("level", method)) not in _QUIETENED:
            return event_dict
        key = _cut(repr(sorted(event_dict.items(), key=lambda kv: kv[0])), 2 * MAX_VALUE_CHARS)
        now = self._clock()
        shown = self._seen.get(key)
        if shown is not None and now - shown[0] < self._interval_s:
            self._seen[key] = (shown[0], shown[1] + 1)
            raise structlog.DropEvent
        if len(self._seen) > 1000:  # forget spells long over, so the memory stays bounded
            self._seen = {k: v for k, v in self._seen.items() if now - v[0] < self._interval_s}
        self._seen[key] = (now, 0)
        if shown is not None and shown[1]:
            event_dict["repeated"] = shown[1]
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
            Quieten(),
            structlog.processors.TimeStamper(fmt="iso", utc=False),
            structlog.processors.format_exc_info,
            mask_sensitive,
            cut_long_values,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(stream),
        cache_logger_on_first_use=False,
    )


def get_logger(name: str) -> Any:
    return structlog.get_logger(name)
