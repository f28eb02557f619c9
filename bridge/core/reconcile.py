"""Three-way reconciliation of one local day: the marketplace, the bridge and the billing core.

What the marketplace says was paid, what the bridge recorded and what the
billing core applied must agree; ``reconcile`` lists every place they do not,
each a ``Disagreement`` whose ``kind`` (a ``DisagreementKind``) is a reason code of
``bridge.core.reasons``:

- ``RECON_PAID_UNKNOWN``: a line paid in the shop that the bridge never stored;
- ``RECON_APPLIED_NOT_DELIVERED``: every part applied in the billing core, the settle
  time passed, and the bridge has not delivered the line;
- ``RECON_DELIVERED_NOT_APPLIED``: the bridge recorded the line applied or delivered,
  and the billing core has no such operation (or it was reversed there);
- ``RECON_APPLIED_TWICE``: one request_id applied twice (the day's listing shows two
  operations), or one line applied under a request_id besides its own;
- ``RECON_AMOUNT_DIFFERS``: the amount paid now differs from the one the bridge stored,
  or what the billing core applied differs from what the bridge planned (fen, product,
  months);
- ``RECON_NOT_SENT``: an operation in the day's listing the bridge never sent (a
  request_id with one of this bridge's shops as prefix but unknown, or no known prefix);
- ``RECON_SHOP_UNLISTED``: a shop whose storefront could not be listed or read, so its
  paid lines were not checked (``bridge.core.reconcile_shops``).

The listing's request_ids are read with ``bridge.core.request_ids`` (which line
of which shop each names), never split here.

Pure: the service gathers the three sides and stores the result. Card numbers in
details are masked. The day is the marketplace's local date (UTC+8).
"""

from __future__ import annotations

import csv
import enum
import io
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from bridge.core.masking import mask_text
from bridge.core.models import CST, Operation, OperationResult, Recharge, Subscribe
from bridge.core.records import LineRecord
from bridge.core.request_ids import RequestId, parse
from bridge.core.states import LineState
from bridge.core.trades import OrderState, RefundState, Trade


class DisagreementKind(enum.StrEnum):
    """What a disagreement is: a reason code; compares equal to, and is written as, its text."""

    PAID_UNKNOWN = "RECON_PAID_UNKNOWN"
    APPLIED_NOT_DELIVERED = "RECON_APPLIED_NOT_DELIVERED"
    DELIVERED_NOT_APPLIED = "RECON_DELIVERED_NOT_APPLIED"
    APPLIED_TWICE = "RECON_APPLIED_TWICE"
    AMOUNT_DIFFERS = "RECON_AMOUNT_DIFFERS"
    NOT_SENT = "RECON_NOT_SENT"
    SHOP_UNLISTED = "RECON_SHOP_UNLISTED"


PAID_UNKNOWN = DisagreementKind.PAID_UNKNOWN
APPLIED_NOT_DELIVERED = DisagreementKind.APPLIED_NOT_DELIVERED
DELIVERED_NOT_APPLIED = DisagreementKind.DELIVERED_NOT_APPLIED
APPLIED_TWICE = DisagreementKind.APPLIED_TWICE
AMOUNT_DIFFERS = DisagreementKind.AMOUNT_DIFFERS
NOT_SENT = DisagreementKind.NOT_SENT
SHOP_UNLISTED = DisagreementKind.SHOP_UNLISTED

KINDS = tuple(DisagreementKind)
"""Every kind of disagreement, in the order reports list them."""

_AFTER_REFUND = frozenset({LineState.REVERSAL_PENDING, LineState.REVERSED})  # a reversal is the bridge's
_CLAIMED_APPLIED = frozenset({LineState.APPLIED, LineState.DELIVERED})


@dataclass(frozen=True)
class PaidLine:
    """One line the marketplace says was paid on the day, as ``fullinfo`` reads it now."""

    shop: str
    tid: str
    oid: str
    payment_fen: int
    paid_at: datetime


@dataclass(frozen=True)
class BillingSide:
    """What the billing core says: each known request_id looked up (``None``: never applied),
    and the day's listing when the core has one (``None`` for a 1.0 core)."""

    found: Mapping[str, OperationResult | None]
    listing: Sequence[OperationResult] | None = None


@dataclass(frozen=True)
class Disagreement:
    kind: DisagreementKind
    shop: str | None = None
    tid: str | None = None
    oid: str | None = None
    request_id: str | None = None
    operation_id: str | None = None
    paid_fen: int | None = None
    planned_fen: int | None = None
    applied_fen: int | None = None
    detail: str = ""
    line_id: int | None = None

    @property
    def key(self) -> str:
        """What makes a row the same row when a day is reconciled again."""
        parts = (self.kind, self.shop, self.tid, self.oid, self.request_id, self.operation_id)
        return "|".join("" if p is None else str(p) for p in parts)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The local day (UTC+8) as ``[start, end)``."""
    start = datetime.combine(day, time(0), CST)
    return start, start + timedelta(days=1)


def paid_lines(shop: str, trade: Trade, day: date) -> list[PaidLine]:
    """The lines of ``trade`` paid on ``day`` and still owed: not closed, not refunded."""
    if trade.paid_at is None or trade.paid_at.astimezone(CST).date() != day:
        return []
    if trade.state is OrderState.CLOSED:
        return []
    return [
        PaidLine(shop, trade.tid, line.oid, line.payment_fen, trade.paid_at)
        for line in trade.lines
        if line.refund is not RefundState.REFUNDED and line.state is not OrderState.CLOSED
    ]


def operation_fen(fields: Mapping[str, Any]) -> int | None:
    """The fen an operation moves (a recharge's amount, cards' face value × count); ``None`` for a
    subscription (its price is the billing core's)."""
    if fields.get("kind") == "recharge":
        return int(fields["amount_fen"])
    if fields.get("kind") == "issue_cards":
        return int(fields["face_value_fen"]) * int(fields["count"])
    return None


def _applied_fields(op: Operation) -> dict[str, Any]:
    return asdict(op) | {"kind": op.kind.value}


def _what(fields: Mapping[str, Any]) -> dict[str, Any]:
    """An operation's payload without its request_id: what it does."""
    return {k: v for k, v in fields.items() if k != "request_id"}


def _sum(values: Iterable[int | None]) -> int | None:
    """The total, or ``None`` when there is nothing to add or one value is unknown."""
    amounts = list(values)
    if not amounts or None in amounts:
        return None
    return sum(a for a in amounts if a is not None)


def _applied_fen(results: Iterable[OperationResult]) -> int | None:
    """What the billing core says these operations moved, when it echoed each of them."""
    return _sum(operation_fen(_applied_fields(r.applied)) if r.applied else None for r in results)


def _card(result: OperationResult) -> str:
    """`` to card ****1234`` when the core echoed a card, for a detail."""
    applied = result.applied
    return mask_text(f" to card {applied.card_no}") if isinstance(applied, Recharge | Subscribe) else ""


def reconcile(
    day: date,
    shops: Iterable[str],
    paid: Sequence[PaidLine],
    lines: Sequence[LineRecord],
    billing: BillingSide,
    *,
    known_request_ids: Iterable[str] = (),
    now: datetime,
    settle: timedelta,
) -> list[Disagreement]:
    """Every disagreement of ``day`` between the three sides; an empty list when they agree.

    ``lines`` are the bridge's lines paid on the day (and any stored line the
    marketplace lists as paid that day); ``known_request_ids`` every other
    request_id the bridge stored (lines of other days whose operations the
    listing shows on this one).
    """
    found: list[Disagreement] = []
    stored = {(line.shop, line.tid, line.oid): line for line in lines}
    for p in paid:
        line = stored.get((p.shop, p.tid, p.oid))
        if line is None:
            found.append(
                Disagreement(
                    PAID_UNKNOWN,
                    p.shop,
                    p.tid,
                    p.oid,
                    paid_fen=p.payment_fen,
                    detail=f"paid {p.paid_at.astimezone(CST):%Y-%m-%d %H:%M} in the shop, never stored",
                )
            )
        elif line.payment_fen != p.payment_fen:
            found.append(
                Disagreement(
                    AMOUNT_DIFFERS,
                    p.shop,
                    p.tid,
                    p.oid,
                    paid_fen=p.payment_fen,
                    planned_fen=_sum(operation_fen(o.payload) for o in line.operations),
                    detail=f"the shop says {p.payment_fen} fen paid; the bridge stored {line.payment_fen}",
                    line_id=line.id,
                )
            )
    listed = list(billing.listing or ())
    applied_ids: dict[str, list[OperationResult]] = defaultdict(list)
    for result in listed:
        if result.status == "applied" and all(
            r.operation_id != result.operation_id for r in applied_ids[result.request_id]
        ):
            applied_ids[result.request_id].append(result)
    owner_of_part = {op.request_id: line for line in lines for op in line.operations}
    for line in lines:
        found += _line_disagreements(line, billing.found, applied_ids, now=now, settle=settle)
    for entry in _listing(shops, lines, applied_ids, owner_of_part, set(known_request_ids)):
        found += _applied_twice(entry) + _not_sent(entry)
    return found


def _line_disagreements(
    line: LineRecord,
    looked_up: Mapping[str, OperationResult | None],
    listed: Mapping[str, list[OperationResult]],
    *,
    now: datetime,
    settle: timedelta,
) -> list[Disagreement]:
    rows: list[Disagreement] = []
    planned = _sum(operation_fen(o.payload) for o in line.operations)
    results: list[OperationResult | None] = []
    for op in line.operations:
        result = looked_up.get(op.request_id)
        if result is None and listed.get(op.request_id):
            result = listed[op.request_id][0]
        results.append(result)
        if result is None:
            continue
        applied = result.applied
        if applied is not None and _what(_applied_fields(applied)) != _what(op.payload):
            rows.append(
                _on(
                    line,
                    AMOUNT_DIFFERS,
                    request_id=op.request_id,
                    operation_id=result.operation_id,
                    paid_fen=line.payment_fen,
                    planned_fen=operation_fen(op.payload),
                    applied_fen=operation_fen(_applied_fields(applied)),
                    detail=mask_text(
                        f"planned {_describe(op.payload)}; "
                        f"the billing core applied {_describe(_applied_fields(applied))}"
                    ),
                )
            )
    if not line.operations or line.state in _AFTER_REFUND:
        return rows
    missing = [op.request_id for op, r in zip(line.operations, results, strict=True) if r is None]
    reversed_ = [r.request_id for r in results if r is not None and r.status == "reversed"]
    if line.state in _CLAIMED_APPLIED and (missing or reversed_):
        what = f"not in the billing core: {', '.join(missing)}" if missing else ""
        what += ("; " if what else "") + (
            f"reversed in the billing core: {', '.join(reversed_)}" if reversed_ else ""
        )
        rows.append(
            _on(
                line,
                DELIVERED_NOT_APPLIED,
                request_id=(missing or reversed_)[0],
                paid_fen=line.payment_fen,
                planned_fen=planned,
                applied_fen=None,
                detail=f"the bridge shows {line.state.value}; {what}",
            )
        )
    applied_all = [r for r in results if r is not None and r.status == "applied"]
    if line.state is not LineState.DELIVERED and len(applied_all) == len(line.operations):
        last = max(r.applied_at for r in applied_all)
        if now - last >= settle:
            rows.append(
                _on(
                    line,
                    APPLIED_NOT_DELIVERED,
                    request_id=line.operations[0].request_id,
                    paid_fen=line.payment_fen,
                    planned_fen=planned,
                    applied_fen=_applied_fen(applied_all),
                    detail=(
                        f"applied by {last.astimezone(CST):%Y-%m-%d %H:%M}; "
                        f"the bridge shows {line.state.value}, not delivered"
                    ),
                )
            )
    return rows


def _on(line: LineRecord, kind: DisagreementKind, **fields: Any) -> Disagreement:
    """A disagreement about one of the bridge's lines."""
    return Disagreement(kind, line.shop, line.tid, line.oid, line_id=line.id, **fields)


@dataclass(frozen=True)
class _ListedId:
    """One request_id of the day's listing, and what the bridge knows of it."""

    text: str  # as the billing core lists it
    parts: RequestId | None  # what it names, when it has the planner's shape (``shop:tid:oid:part``)
    results: Sequence[OperationResult]  # the distinct operations applied under it, in listing order
    sender: LineRecord | None  # the line of the day that sent it
    sent: bool  # the bridge sent it (for a line of this day or of another)
    ours: bool  # it names one of this bridge's shops
    named: LineRecord | None  # the line of the day it names, for an id of our shops
    named_applied: bool  # that line was applied under its own request_ids too

    def place(self) -> tuple[str | None, str | None, str | None]:
        """Where its operations belong: the line that sent it, else (a line of another day, or
        none) the line it names."""
        if self.sender is not None:
            return self.sender.shop, self.sender.tid, self.sender.oid
        return self.parts.line if self.parts is not None else (None, None, None)

    def what(self) -> str:
        """Its first operation in a detail: the kind and, when the core echoed one, the masked card."""
        return f"{self.results[0].kind.value}{_card(self.results[0])}"


def _listing(
    shops: Iterable[str],
    lines: Sequence[LineRecord],
    listed: Mapping[str, list[OperationResult]],
    owner_of_part: Mapping[str, LineRecord],
    known_elsewhere: set[str],
) -> list[_ListedId]:
    """Every request_id of the day's listing with its parts read and its lines found, in listing order."""
    ours = set(shops)
    by_line = {(line.shop, line.tid, line.oid): line for line in lines}
    found: list[_ListedId] = []
    for text, results in listed.items():
        sender = owner_of_part.get(text)
        parts = parse(text)
        is_ours = parts is not None and parts.shop in ours
        named = by_line.get(parts.line) if parts is not None and is_ours else None
        named_applied = named is not None and any(
            owner_of_part.get(op.request_id) is named and listed.get(op.request_id) for op in named.operations
        )
        sent = sender is not None or text in known_elsewhere
        found.append(_ListedId(text, parts, results, sender, sent, is_ours, named, named_applied))
    return found


def _applied_twice(entry: _ListedId) -> list[Disagreement]:
    """``RECON_APPLIED_TWICE`` for one request_id of the listing, in this order: the listing shows it
    applied more than once; it names a line of ours that the bridge applied under the line's own
    request_ids, and the bridge never sent it."""
    rows: list[Disagreement] = []
    results, sender = entry.results, entry.sender
    if len(results) > 1:
        shop, tid, oid = entry.place()
        rows.append(
            Disagreement(
                APPLIED_TWICE,
                shop,
                tid,
                oid,
                request_id=entry.text,
                operation_id=results[1].operation_id,
                paid_fen=sender.payment_fen if sender else None,
                applied_fen=_applied_fen(results),
                detail=f"applied {len(results)} times: {', '.join(r.operation_id for r in results)}",
                line_id=sender.id if sender else None,
            )
        )
    if not entry.sent and entry.named is not None and entry.named_applied:
        again = f"again under {entry.text} ({entry.what()})"
        rows.append(
            _on(
                entry.named,
                APPLIED_TWICE,
                request_id=entry.text,
                operation_id=results[0].operation_id,
                paid_fen=entry.named.payment_fen,
                applied_fen=_applied_fen([results[0]]),
                detail=f"the line was applied under its own request_id and {again}",
            )
        )
    return rows


def _not_sent(entry: _ListedId) -> list[Disagreement]:
    """``RECON_NOT_SENT`` for a request_id of the listing the bridge never sent (and that
    ``_applied_twice`` does not tell as a line of ours applied again): on the line it names when it
    names one of our shops, else on nothing."""
    if entry.sent or (entry.named is not None and entry.named_applied):
        return []
    first = entry.results[0]
    if entry.parts is not None and entry.ours:
        return [
            Disagreement(
                NOT_SENT,
                *entry.parts.line,
                request_id=entry.text,
                operation_id=first.operation_id,
                applied_fen=_applied_fen([first]),
                line_id=entry.named.id if entry.named else None,
                detail=f"shop {entry.parts.shop}'s request_id, never sent by the bridge ({entry.what()})",
            )
        ]
    return [
        Disagreement(
            NOT_SENT,
            request_id=entry.text,
            operation_id=first.operation_id,
            applied_fen=_applied_fen([first]),
            detail=f"no request_id prefix of this bridge's shops ({entry.what()})",
        )
    ]


def _describe(fields: Mapping[str, Any]) -> str:
    kind = fields.get("kind")
    if kind == "recharge":
        return f"a recharge of {fields['amount_fen']} fen to card {fields['card_no']}"
    if kind == "subscribe":
        return f"{fields['months']} month(s) of {fields['product_code']} on card {fields['card_no']}"
    return f"{fields.get('count')} card(s) of {fields.get('face_value_fen')} fen"


def by_kind(rows: Iterable[Disagreement]) -> dict[str, int]:
    """Counts per kind (by its text), every kind present (zero when none), in ``KINDS`` order."""
    counts = {kind.value: 0 for kind in KINDS}
    for row in rows:
        counts[row.kind] = counts.get(row.kind, 0) + 1
    return counts


# ------------------------------------------------------------------ what the store keeps

LISTED = "LISTED"
UNAVAILABLE = "UNAVAILABLE"


@dataclass(frozen=True)
class RunFigures:
    """What a run looked at, stored with its rows."""

    day: date
    started_at: datetime
    listing: str  # LISTED | UNAVAILABLE (a 1.0 billing core: known request_ids only)
    paid_lines: int
    bridge_lines: int
    looked_up: int
    listed: int


@dataclass(frozen=True)
class RunRecord:
    """A reconciled day as stored: its latest run's figures and counts per kind."""

    id: int
    day: date
    started_at: datetime | None
    finished_at: datetime | None
    listing: str | None
    paid_lines: int
    bridge_lines: int
    looked_up: int
    listed: int
    disagreements: int
    by_kind: dict[str, int]
    actor: str | None


@dataclass(frozen=True)
class RowRecord:
    """A stored disagreement: whether its line went to CS, when first seen, cleared by a later run."""

    id: int
    row: Disagreement
    flagged: bool
    first_seen_at: datetime
    cleared_at: datetime | None = None


# ------------------------------------------------------------------ reports

CSV_COLUMNS = (
    "kind",
    "shop",
    "tid",
    "oid",
    "request_id",
    "operation_id",
    "paid_fen",
    "planned_fen",
    "applied_fen",
    "line_id",
    "detail",
)
"""One CSV row per disagreement, amounts in fen."""


def row_fields(row: Disagreement) -> dict[str, Any]:
    """A disagreement as plain fields (CSV, JSON): the detail masked once more, whatever made it."""
    shown = {"kind": row.kind.value, "detail": mask_text(row.detail)}  # the kind as its plain text
    return {name: getattr(row, name) for name in CSV_COLUMNS} | shown


def csv_text(rows: Iterable[Disagreement]) -> str:
    """The disagreements as CSV (a header, then one row each; empty cells for unknown values)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else v for k, v in row_fields(row).items()})
    return out.getvalue()


def summary(day: date, rows: Sequence[Disagreement], listing: str | None) -> dict[str, Any]:
    """The report as one JSON-able object: date, count, counts per kind, the rows."""
    return {
        "date": day.isoformat(),
        "disagreements": len(rows),
        "by_kind": by_kind(rows),
        "listing": listing,
        "rows": [row_fields(r) for r in rows],
    }
