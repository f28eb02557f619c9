"""The sandbox's stored things: subscriber accounts, applied operations, refusals.

Mutable on purpose (the sandbox *is* the system of record here), kept apart
from the rules in ``state`` so the journal and the HTTP layer can read and
write them without touching the rules. Each converts to the interface's wire
shapes (the sandbox's own, in ``wire``), so what the sandbox stores is
exactly what it answers.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from adapters.billing_core.sandbox import wire
from bridge.core.models import (
    Entitlement,
    IssueCards,
    Operation,
    OperationResult,
    Recharge,
    Subscribe,
    Subscriber,
)


class SandboxError(Exception):
    """A refusal of the interface: HTTP status, UPPER_SNAKE code, human text."""

    def __init__(self, status: int, code: str, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after

    def body(self) -> dict[str, Any]:
        """The interface's error body."""
        return wire.error_answer(self.code, self.message)


def mask(card_no: str) -> str:
    """A card number as it may appear in messages: last four digits only."""
    return "****" + card_no[-4:]


def add_months(start: date, months: int) -> date:
    """``start`` moved ``months`` calendar months on, clamped to the month's last day."""
    year, month0 = divmod(start.month - 1 + months, 12)
    year += start.year
    last = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(start.day, last))


@dataclass
class Account:
    """One subscriber (smart card) with its balance and entitlements (valid through the date)."""

    card_no: str
    subscriber_id: str
    status: str  # active | suspended | closed
    two_way: bool
    region: str
    balance_fen: int
    entitlements: dict[str, date] = field(default_factory=dict)

    def to_domain(self) -> Subscriber:
        ents = tuple(Entitlement(code, until) for code, until in sorted(self.entitlements.items()))
        return Subscriber(
            self.card_no, self.subscriber_id, self.status, self.two_way, self.region, self.balance_fen, ents
        )

    def to_wire(self) -> dict[str, Any]:
        """The subscriber as GET /v1/subscribers/{card_no} answers it."""
        return {
            "card_no": self.card_no,
            "subscriber_id": self.subscriber_id,
            "status": self.status,
            "two_way": self.two_way,
            "region": self.region,
            "balance_fen": self.balance_fen,
            "entitlements": [
                {"product_code": code, "valid_until": until.isoformat()}
                for code, until in sorted(self.entitlements.items())
            ],
        }

    @classmethod
    def from_wire(cls, found: wire.SubscriberAnswer) -> Account:
        return cls(
            card_no=found.card_no,
            subscriber_id=found.subscriber_id,
            status=found.status,
            two_way=found.two_way,
            region=found.region,
            balance_fen=found.balance_fen,
            entitlements={e.product_code: e.valid_until for e in found.entitlements},
        )


@dataclass
class OpRecord:
    """An applied operation: the request as sent, the result as answered, and undo data."""

    operation: Operation
    result: OperationResult
    previous_valid_until: date | None = None  # subscribe: the entitlement before it
    redeemed: set[str] = field(default_factory=set)  # issue_cards: serials already used
    reversed_at: datetime | None = None
    reversal_reason: str | None = None
    repeat: bool = False  # dedupe off: a request_id already applied, applied again
    reversals: int = 0  # how many times it was undone (more than one only with dedupe off)

    @property
    def card_no(self) -> str | None:
        return self.operation.card_no if isinstance(self.operation, Recharge | Subscribe) else None

    def mark_reversed(self, when: datetime, reason: str) -> None:
        self.result = replace(self.result, status="reversed")
        self.reversed_at = when
        self.reversal_reason = reason
        self.reversals += 1

    def to_wire(self) -> dict[str, Any]:
        """The operation as GET/POST /v1/operations answer it."""
        return wire.OperationAnswer.of(
            self.result, self.reversed_at, self.reversal_reason, self.operation
        ).render()

    def to_ledger(self) -> dict[str, Any]:
        """One row of ``GET /sandbox/ledger``."""
        op = self.operation
        return {
            "request_id": op.request_id,
            "operation_id": self.result.operation_id,
            "kind": op.kind.value,
            "card_no": self.card_no,
            "amount_fen": op.amount_fen if isinstance(op, Recharge) else None,
            "product_code": op.product_code if isinstance(op, Subscribe) else None,
            "months": op.months if isinstance(op, Subscribe) else None,
            "face_value_fen": op.face_value_fen if isinstance(op, IssueCards) else None,
            "count": op.count if isinstance(op, IssueCards) else None,
            "status": self.result.status,
            "applied_at": self.result.applied_at.isoformat(timespec="microseconds"),
            "reversed_at": self.reversed_at.isoformat(timespec="microseconds") if self.reversed_at else None,
            "repeat": self.repeat,
            "reversals": self.reversals,
        }
