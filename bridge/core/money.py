"""Money is integer fen inside the bridge; the marketplace speaks decimal yuan strings."""

from __future__ import annotations

import re
import unicodedata

_YUAN = re.compile(r"^(?P<int>\d{1,9})(?:\.(?P<frac>\d{1,2}))?$")
_TYPED = re.compile(r"^(?P<sign>-?)(?P<int>\d+)(?:\.(?P<frac>\d+))?$")


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


class YuanError(ValueError):
    """A typed amount that is not a price; ``code`` says why: ``empty``, ``not_number``,
    ``negative``, ``too_precise`` (more than two decimals) or ``too_large``."""

    def __init__(self, text: str, code: str) -> None:
        super().__init__(f"not a price in yuan ({code.replace('_', ' ')}): {text!r}")
        self.text = text
        self.code = code


def parse_yuan(text: str) -> int:
    """A price as a person types it, in yuan, into fen: ``"6"``, ``"6.00"``, ``"¥5.5"``,
    ``"６元"`` → 600, 600, 550, 600. Raises ``YuanError`` saying why anything else is not one.
    """
    typed = unicodedata.normalize("NFKC", text).strip().removeprefix("¥").removesuffix("元").strip()
    if not typed:
        raise YuanError(text, "empty")
    match = _TYPED.match(typed)
    if match is None:
        raise YuanError(text, "not_number")
    if match.group("sign"):
        raise YuanError(text, "negative")
    frac = match.group("frac") or ""
    if len(frac) > 2:
        raise YuanError(text, "too_precise")
    if len(match.group("int").lstrip("0")) > 9:
        raise YuanError(text, "too_large")
    return int(match.group("int")) * 100 + int(frac.ljust(2, "0"))


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
