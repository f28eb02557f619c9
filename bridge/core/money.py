"""Money is integer fen inside the bridge; the marketplace speaks decimal yuan strings."""

from __future__ import annotations

import re

_YUAN = re.compile(r"^(?P<int>\d{1,9})(?:\.(?P<frac>\d{1,2}))?$")


def yuan_to_fen(text: str) -> int:
    """Parse a marketplace amount such as ``"50.00"`` into fen.

    Raises ``ValueError`` naming the text for anything that is not a
    non-negative decimal with at most two fraction digits.
    """
    match = _YUAN.match(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"not a yuan amount: {text!r}")
    frac = (match.group("frac") or "").ljust(2, "0")
    return int(match.group("int")) * 100 + int(frac)


def fen_to_yuan(fen: int) -> str:
    """Format fen as the marketplace's yuan string (``5000`` → ``"50.00"``)."""
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"


def split_amount(total_fen: int, cap_fen: int) -> list[int]:
    """Split a credit into parts of at most ``cap_fen``, largest first.

    Deterministic: the same total always gives the same parts, so each part can
    carry a request_id derived from its position.
    """
    if total_fen <= 0:
        raise ValueError(f"amount must be positive, got {total_fen}")
    if cap_fen <= 0:
        raise ValueError(f"cap must be positive, got {cap_fen}")
    full, rest = divmod(total_fen, cap_fen)
    return [cap_fen] * full + ([rest] if rest else [])
