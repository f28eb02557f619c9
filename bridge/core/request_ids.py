"""Request_ids, built and read in one place: the billing core's idempotency key for one operation.

The bridge names part ``part`` of order line ``oid`` of trade ``tid`` in shop
``shop`` ``shop:tid:oid:part`` (``henan-tv:3001234567890:3001234567891:0``). The
id is chosen once, stored before the call and never changes, so the billing
core can deduplicate on it and reconciliation can tell whose an operation is.

- ``RequestId`` is the typed value; ``str()`` of it is the id, and ``build``
  gives that text directly;
- ``parse`` reads an id of that shape back (``None`` for any other id: the
  billing core also lists operations other systems made);
- ``is_valid`` is the billing core's wire rule: 1-64 characters of
  ``[A-Za-z0-9._:-]``; a ``RequestId`` whose text breaks it cannot be made;
- ``is_shop_name`` is the rule the settings apply to a shop's name, so that
  every id built for a configured shop keeps the wire rule.

Pure: no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

WIRE_PATTERN = r"^[A-Za-z0-9._:-]{1,64}$"
"""The billing core's rule for a request_id (its interface v1), anchored for pydantic."""

_WIRE = re.compile(WIRE_PATTERN)
_SHOP_NAME = re.compile(r"[A-Za-z0-9._-]{1,16}")
_SHAPE = re.compile(r"([^:]*):([0-9]+):([0-9]+):([0-9]+)")


class RequestIdError(ValueError):
    """A request_id that cannot be made: it would break the wire rule or not read back."""


def is_valid(text: str) -> bool:
    """Whether the billing core accepts ``text`` as a request_id (1-64 chars of ``[A-Za-z0-9._:-]``)."""
    return _WIRE.fullmatch(text) is not None


def is_shop_name(name: str) -> bool:
    """Whether ``name`` may name a shop: 1-16 characters of ``A-Z a-z 0-9 . _ -``.

    Short and plain, so that ``name:tid:oid:part`` keeps the wire rule for any
    marketplace ids and reads back to the same shop.
    """
    return _SHOP_NAME.fullmatch(name) is not None


@dataclass(frozen=True)
class RequestId:
    """One operation's id: ``shop:tid:oid:part``. Raises ``RequestIdError`` when that text is not a
    valid request_id, or would not read back (a ``:`` in the shop, a negative number)."""

    shop: str
    tid: int
    oid: int
    part: int

    def __post_init__(self) -> None:
        text = str(self)
        if not is_valid(text):
            raise RequestIdError(f"request_id {text!r} is not 1-64 chars of [A-Za-z0-9._:-]")
        if ":" in self.shop or min(self.tid, self.oid, self.part) < 0:
            raise RequestIdError(f"request_id {text!r} does not read back as shop:tid:oid:part")

    def __str__(self) -> str:
        return f"{self.shop}:{self.tid}:{self.oid}:{self.part}"

    @property
    def line(self) -> tuple[str, int, int]:
        """The order line it belongs to: ``(shop, tid, oid)``."""
        return self.shop, self.tid, self.oid


def build(shop: str, tid: int, oid: int, part: int) -> str:
    """``shop:tid:oid:part``, the request_id of one part; raises ``RequestIdError`` (a ``ValueError``)
    when it breaks the billing core's rule, i.e. for a badly configured shop name."""
    return str(RequestId(shop, tid, oid, part))


def parse(text: str) -> RequestId | None:
    """The parts of a valid request_id of the shape ``shop:tid:oid:part``, ``None`` for any other.

    Numbers are read as numbers: ``str(parse(text)) == text`` for every id ``build``
    makes, and an id written with leading zeros names the same line.
    """
    shaped = _SHAPE.fullmatch(text) if is_valid(text) else None
    if shaped is None:
        return None
    shop, tid, oid, part = shaped.groups()
    return RequestId(shop, int(tid), int(oid), int(part))
