"""The marketplace's text made storable on every engine, and what was changed, for the timeline.

PostgreSQL refuses NUL (``\\x00``) in text and a lone UTF-16 surrogate cannot be
encoded at all; a buyer can type either. Intake stores the trade anyway: NULs
and unencodable characters become U+FFFD (a replacement, not a removal: digits
either side of it stay apart, so a card number reads the same from the stored
text as from the marketplace's), and a short coded field
(the platform's status) longer than its column is clipped. Each change is named in the
``received`` event, so a person reading the story knows the text was altered.
Free text (nickname, message, title, SKU codes) lives in text columns: kept whole.
"""

from __future__ import annotations

from dataclasses import fields, replace
from typing import Any, TypeVar

from bridge.core.trades import OrderLine, Trade

_CODED = {"platform_status": 40}  # the column's length (bridge.store.schema)
T = TypeVar("T", Trade, OrderLine)


def _clean(name: str, value: str) -> tuple[str, list[str]]:
    notes = []
    if "\x00" in value:
        value = value.replace("\x00", "\ufffd")
        notes.append(f"{name}: NUL replaced")
    encoded = value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    if encoded != value:
        value = encoded
        notes.append(f"{name}: unencodable characters replaced")
    limit = _CODED.get(name)
    if limit is not None and len(value) > limit:
        value = value[:limit]
        notes.append(f"{name}: clipped to {limit} characters")
    return value, notes


def _storable(value: T, prefix: str) -> tuple[T, list[str]]:
    changes: dict[str, Any] = {}
    notes: list[str] = []
    for f in fields(value):
        current = getattr(value, f.name)
        if isinstance(current, str):
            cleaned, found = _clean(f.name, current)
            if found:
                changes[f.name] = cleaned
                notes.extend(prefix + note for note in found)
    return (replace(value, **changes) if changes else value), notes


def storable_trade(trade: Trade) -> tuple[Trade, list[str], dict[str, list[str]]]:
    """The trade with storable text; notes on the trade's fields, and per line (by oid)."""
    cleaned, trade_notes = _storable(trade, "")
    line_notes: dict[str, list[str]] = {}
    new_lines = []
    for line in trade.lines:
        new_line, notes = _storable(line, "")
        new_lines.append(new_line)
        if notes:
            line_notes[line.oid] = notes
    return replace(cleaned, lines=tuple(new_lines)), trade_notes, line_notes
