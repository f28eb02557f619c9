"""Whether a listed trade needs a full read again: the rule intake skips re-reads by.

Every listing of a window shows trades the bridge has already read: the
overlap lists them again, and the bridge's own writes (the delivery, a memo)
bump ``modified``. A full read (fullinfo) costs a marketplace call per trade,
so a re-listed trade is read again only when its state may have changed.

Invariants:
- The state that matters is the trade's state and each line's refund
  state; a listing that carries the orders' refund statuses is compared on
  exactly that, so a memo write or another change that moves only ``modified``
  costs no read.
- The bridge's own delivery moves a paid trade to SHIPPED; for a trade the
  bridge marked delivered that state is the stored one.
- A listing without the orders' fields falls back to time: same status and
  ``modified``, and the stored read came after that second was over
  (two changes within one second share a ``modified``).
- A trade the store does not hold, or a listing entry in a state the bridge
  does not know (``OTHER``: also an entry that could not be read), is always read.
- A pushed message is only a reason to read: a stored read made after the
  message was published (its second over) already shows what it announced.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bridge.core.records import KnownTrade
from bridge.core.trades import OrderState, TradeSummary

SETTLE = timedelta(seconds=2)
"""After a trade's ``modified`` second, how long before a read of it counts as later (clock skew)."""

_PAID = frozenset({OrderState.PAID, OrderState.PART_SHIPPED})


def needs_read(known: KnownTrade | None, summary: TradeSummary) -> bool:
    """True when ``summary`` may show a state of the trade the store does not hold."""
    if known is None or summary.state is OrderState.OTHER:
        return True
    if not _same_state(known, summary.state):
        return True
    if summary.refunds is not None:
        return summary.refunds != known.refunds
    # equal, not >=: a stored time in the future (a bad answer) must never hide later changes
    return not (summary.modified == known.modified and known.read_at >= summary.modified + SETTLE)


def read_since(known: KnownTrade | None, published: datetime | None) -> bool:
    """The stored read of a trade came after a message about it was published (and that second
    was over): the read already shows what the message announced, so it needs no new read.

    A message without a publication time, or a trade not stored, always needs the read.
    """
    return known is not None and published is not None and known.read_at >= published + SETTLE


def _same_state(known: KnownTrade, state: OrderState) -> bool:
    if state == known.status:
        return True
    return known.delivered and known.status in _PAID and state is OrderState.SHIPPED
