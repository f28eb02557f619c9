"""Find the buyer's smart-card number in free text, or say precisely why not.

Buyers type their TV smart-card number into the buyer message or the line's
customization field however they like: full-width digits, groups of four with
spaces or hyphens, next to a phone number, twice. Crediting the wrong
household is worse than asking a person, so the rules are strict and
explicit:

* text is NFKC-normalised first (full-width ``８３７１`` reads as ``8371``);
* a run of 7 or more digits stands alone (a phone number, a card number);
  shorter runs separated by exactly one space or hyphen are read together as
  one grouped number (``8371 0000 1234 5678``), or as several back-to-back
  numbers when the groups split exactly into allowed lengths;
* a number counts when its length is allowed and it starts with an allowed
  prefix; the same number twice is one number;
* sources are tried in the rule's order and the first one holding a valid
  number decides (the per-line customization before the trade-wide message).

Failures raise ``CardNumberError`` (a ``Permanent``: a person decides) with
``CARD_MISSING``, ``CARD_AMBIGUOUS`` or ``CARD_WRONG_LENGTH``; details never
hold a full card number (``bridge.core.masking.mask_card`` shows each). The
scan is linear (one ``[0-9]+`` pass), so hostile or very long text stays fast.
Pure: no I/O.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass

from bridge.core.errors import Permanent
from bridge.core.masking import mask_card
from bridge.core.trades import OrderLine, Trade

SOURCES = ("customization", "buyer_message")
"""Where a card number may be written: ``OrderLine.customization``, ``Trade.buyer_message``."""

_DIGITS = re.compile(r"[0-9]+")
_STANDALONE = 7  # digit runs at least this long are never joined with neighbours
_SEPARATORS = frozenset(" -")


class CardReason(enum.StrEnum):
    CARD_MISSING = "CARD_MISSING"  # no digits at all
    CARD_AMBIGUOUS = "CARD_AMBIGUOUS"  # two or more different valid numbers
    CARD_WRONG_LENGTH = "CARD_WRONG_LENGTH"  # digits, but none of an allowed length / prefix


class CardNumberError(Permanent):
    """No single valid card number; ``reason`` says why, ``detail`` is masked."""

    def __init__(self, reason: CardReason, detail: str) -> None:
        super().__init__(detail, code=reason.value)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class CardRule:
    """Where to look for the card number and what a valid one looks like."""

    sources: tuple[str, ...] = SOURCES
    lengths: tuple[int, ...] = (16,)
    prefixes: tuple[str, ...] = ()  # () = any prefix

    def __post_init__(self) -> None:
        unknown = [source for source in self.sources if source not in SOURCES]
        if unknown or not self.sources:
            raise ValueError(f"card sources must be among {SOURCES}, got {self.sources}")
        if not self.lengths or any(length <= 0 for length in self.lengths):
            raise ValueError(f"card lengths must be positive, got {self.lengths}")
        if any(not (prefix.isascii() and prefix.isdigit()) for prefix in self.prefixes):
            raise ValueError(f"card prefixes must be digit strings, got {self.prefixes}")

    def accepts(self, digits: str) -> bool:
        """Whether ``digits`` has an allowed length and prefix."""
        if len(digits) not in self.lengths:
            return False
        return not self.prefixes or digits.startswith(self.prefixes)


def extract_card_no(trade: Trade, line: OrderLine, rule: CardRule) -> str:
    """The one valid card number the buyer wrote; raises ``CardNumberError`` otherwise."""
    texts = {"customization": line.customization, "buyer_message": trade.buyer_message}
    seen: list[str] = []  # every number read, valid or not, for the error detail
    for source in rule.sources:
        text = texts[source]
        if not isinstance(text, str):
            continue
        numbers = _numbers(unicodedata.normalize("NFKC", text), rule)
        seen += numbers
        valid = list(dict.fromkeys(number for number in numbers if rule.accepts(number)))
        if len(valid) == 1:
            return valid[0]
        if valid:
            masked = ", ".join(mask_card(number) for number in valid[:5])
            detail = f"{len(valid)} different card numbers in {source}: {masked}"
            raise CardNumberError(CardReason.CARD_AMBIGUOUS, detail)
    where = " or ".join(rule.sources)
    if not seen:
        raise CardNumberError(CardReason.CARD_MISSING, f"no digits in {where}")
    raise CardNumberError(CardReason.CARD_WRONG_LENGTH, _wrong_length_detail(seen, rule))


def _numbers(text: str, rule: CardRule) -> list[str]:
    """Every number in ``text`` in order: standalone runs and read groups (module docstring)."""
    numbers: list[str] = []
    group: list[str] = []
    previous_end = -2
    for match in _DIGITS.finditer(text):
        digits, start = match.group(), match.start()
        joined = (
            bool(group)
            and len(digits) < _STANDALONE
            and start == previous_end + 1
            and text[previous_end] in _SEPARATORS
        )
        if not joined and group:
            numbers += _read_group(group, rule)
            group = []
        if len(digits) >= _STANDALONE:
            numbers.append(digits)
        else:
            group.append(digits)
        previous_end = match.end()
    if group:
        numbers += _read_group(group, rule)
    return numbers


def _read_group(parts: list[str], rule: CardRule) -> list[str]:
    """Short runs joined by single separators: one number, or an exact split into valid ones."""
    whole = "".join(parts)
    if len(parts) == 1 or rule.accepts(whole):
        return [whole]
    split = _split_exactly(parts, rule)
    return split if split is not None else [whole]


def _split_exactly(parts: list[str], rule: CardRule) -> list[str] | None:
    """Greedy, longest first: consecutive parts forming valid numbers that use every part."""
    longest = max(rule.lengths)
    numbers: list[str] = []
    start = 0
    while start < len(parts):
        best, length, end = 0, 0, start
        while end < len(parts) and length + len(parts[end]) <= longest:
            length += len(parts[end])
            end += 1
            if rule.accepts("".join(parts[start:end])):
                best = end
        if best == 0:
            return None
        numbers.append("".join(parts[start:best]))
        start = best
    return numbers


def _wrong_length_detail(seen: list[str], rule: CardRule) -> str:
    lengths = ", ".join(str(length) for length in rule.lengths)
    wanted = f"{lengths} digits" + (f" starting with {'/'.join(rule.prefixes)}" if rule.prefixes else "")
    found = ", ".join(f"{len(number)} digits ({mask_card(number)})" for number in seen[:5])
    more = f" and {len(seen) - 5} more" if len(seen) > 5 else ""
    return f"no number of {wanted}; found {found}{more}"
