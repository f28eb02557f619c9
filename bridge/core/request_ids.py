"""Request_ids, built and read in one place: the billing core's idempotency key for one operation.

The bridge names part ``part`` of order line ``oid`` of trade ``tid`` in shop
``shop`` ``shop:tid:oid:part`` (``henan-tv:3001234567890:3001234567891:0``). The
id is chosen once, stored before the call and never changes, so the billing
core can deduplicate on it and reconciliation can tell whose an operation is.

Order ids are text as each storefront writes them (Taobao's digits, exactly
``str()`` of its number, so a Taobao id is byte for byte what it always was;
Pinduoduo's ``231207-123456789012345``): 1 or more of ``[A-Za-z0-9._-]``, never
a ``:``. The 64-character wire rule holds for every storefront by the lengths:

    shop ≤ 16 + ":" + tid ≤ 22 + ":" + oid ≤ 19 + ":" + part ≤ 4 digits = 64

(a Taobao tid or oid is an int64: ≤ 19 digits; a Pinduoduo order_sn is 22
characters). ``is_order_id`` is that rule for one id; a trade whose tid or any
oid breaks it is refused where it enters the bridge (``order_id_problem``).

- ``RequestId`` is the typed value; ``str()`` of it is the id, and ``build``
  gives that text directly;
- ``parse`` reads an id of that shape back (``None`` for any other id: the
  billing core also lists operations other systems made);
- ``is_valid`` is the billing core's wire rule: 1-64 characters of
  ``[A-Za-z0-9._:-]``; a ``RequestId`` whose text breaks it cannot be made;
- ``is_shop_name`` is the rule the settings apply to a shop's name, so that
  every id built for a configured shop keeps the wire rule;
- ``is_id_text`` is the one rule for an order id's characters (the console's
  routes and searches use it), ``is_order_id`` adds the length limits.

Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

WIRE_PATTERN = r"^[A-Za-z0-9._:-]{1,64}$"
"""The billing core's rule for a request_id (its interface v1), anchored for pydantic."""

_WIRE = re.compile(WIRE_PATTERN)
_SHOP_NAME = re.compile(r"[A-Za-z0-9._-]{1,16}")
_ID_TEXT = re.compile(r"[A-Za-z0-9._-]+")
_SHAPE = re.compile(r"([^:]*):([A-Za-z0-9._-]+):([A-Za-z0-9._-]+):([0-9]+)")

MAX_SHOP = 16
MAX_TID = 22
MAX_OID = 19
MAX_PART = 9999
"""The longest shop name, tid and oid, and the highest part: 16 + 22 + 19 + 4 + 3 colons = 64."""
MAX_STORED_ID = 40
"""The longest id the store keeps (its tid and oid columns): an unreadable trade's tid is recorded
for a person up to this length."""


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


def is_id_text(text: str) -> bool:
    """Whether ``text`` is written like an order id: 1 or more of ``A-Z a-z 0-9 . _ -``."""
    return _ID_TEXT.fullmatch(text) is not None


def is_order_id(text: str, longest: int) -> bool:
    """Whether ``text`` may be a tid (``longest=MAX_TID``) or an oid (``MAX_OID``)."""
    return len(text) <= longest and is_id_text(text)


def is_stored_id(text: str) -> bool:
    """Whether ``text`` may name a stored trade or line (what the console and the CLI look up):
    id text of at most ``MAX_STORED_ID`` characters."""
    return is_order_id(text, MAX_STORED_ID)


def order_id_problem(tid: str, oids: Iterable[str]) -> str | None:
    """Why a trade's ids cannot name its request_ids (the first id that breaks the rule, and the
    rule), or ``None`` when every one keeps it."""
    if not is_order_id(tid, MAX_TID):
        return f"tid {tid!r} is not 1-{MAX_TID} chars of [A-Za-z0-9._-]"
    for oid in oids:
        if not is_order_id(oid, MAX_OID):
            return f"oid {oid!r} of tid {tid} is not 1-{MAX_OID} chars of [A-Za-z0-9._-]"
    return None


@dataclass(frozen=True)
class RequestId:
    """One operation's id: ``shop:tid:oid:part``. Raises ``RequestIdError`` when that text is not a
    valid request_id, or would not read back (a ``:`` in the shop, a negative number)."""

    shop: str
    tid: str
    oid: str
    part: int

    def __post_init__(self) -> None:
        text = str(self)
        if not is_valid(text):
            raise RequestIdError(f"request_id {text!r} is not 1-64 chars of [A-Za-z0-9._:-]")
        if ":" in self.shop or not (is_id_text(self.tid) and is_id_text(self.oid)) or self.part < 0:
            raise RequestIdError(f"request_id {text!r} does not read back as shop:tid:oid:part")

    def __str__(self) -> str:
        return f"{self.shop}:{self.tid}:{self.oid}:{self.part}"

    @property
    def line(self) -> tuple[str, str, str]:
        """The order line it belongs to: ``(shop, tid, oid)``."""
        return self.shop, self.tid, self.oid


def build(shop: str, tid: str, oid: str, part: int) -> str:
    """``shop:tid:oid:part``, the request_id of one part; raises ``RequestIdError`` (a ``ValueError``)
    when it breaks the billing core's rule, i.e. for a badly configured shop name."""
    return str(RequestId(shop, tid, oid, part))


def parse(text: str) -> RequestId | None:
    """The parts of a valid request_id of the shape ``shop:tid:oid:part``, ``None`` for any other.

    Ids are read as the text they are: ``str(parse(text)) == text`` for every id of the shape
    (a part written with leading zeros is read as its number).
    """
    shaped = _SHAPE.fullmatch(text) if is_valid(text) else None
    if shaped is None:
        return None
    shop, tid, oid, part = shaped.groups()
    return RequestId(shop, tid, oid, int(part))
