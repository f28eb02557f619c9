"""The billing core's side of interface v1: request bodies in, answers out.

Written from the interface description (``billing-core-api.md``) on its own,
apart from the client's ``adapters.billing_core.wire``: were the two one
module, a misread field would be shared by both halves and the contract suite
(the client against this sandbox) could never see it. Here a disagreement
between what the client sends or expects and what the billing core reads or
answers fails a contract test.

Requests are read strictly (``"1500"`` is not 1500) and refuse unknown
fields; answers are rendered from the domain values the rules work on, with
the fields a kind of operation does not carry left out. The same answer
models read the sandbox's own ledger file back (see ``journal``). Messages
never echo an offending value: it may be a card number or a PIN.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
)

from bridge.core.models import (
    IssueCards,
    IssuedCard,
    Operation,
    OperationKind,
    OperationResult,
    Product,
    ProductKind,
    Recharge,
    Subscribe,
)

_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_RETRYABLE = frozenset({"RATE_LIMITED", "MAINTENANCE", "INTERNAL"})

_RequestId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._:-]{1,64}$")]
_Text = Annotated[str, StringConstraints(min_length=1, max_length=200)]


def _stdlib_tz(value: datetime) -> datetime:
    """Give a parsed datetime a plain ``datetime.timezone`` (picklable, no pydantic-core tzinfo)."""
    offset = value.utcoffset()
    return value if offset is None else value.replace(tzinfo=timezone(offset))


AwareTime = Annotated[AwareDatetime, AfterValidator(_stdlib_tz)]
"""A timezone-aware datetime (naive is refused) with a standard-library tzinfo."""


def is_request_id(text: str) -> bool:
    """Whether ``text`` is a valid request_id (1-64 chars of ``[A-Za-z0-9._:-]``)."""
    return _REQUEST_ID.fullmatch(text) is not None


def describe(exc: ValidationError, limit: int = 3) -> str:
    """Where and why validation failed, without echoing any input value."""
    parts = []
    for err in exc.errors(include_input=False, include_url=False)[:limit]:
        where = ".".join(str(p) for p in err["loc"]) or "body"
        msg = "not JSON" if err["type"] == "json_invalid" else err["msg"]
        parts.append(f"{where}: {msg}")
    more = exc.error_count() - limit
    return "; ".join(parts) + (f" (+{more} more)" if more > 0 else "")


def error_answer(code: str, message: str) -> dict[str, Any]:
    """The body of every non-2xx answer; ``retryable`` follows the interface's error table."""
    return {"error": {"code": code, "message": message, "retryable": code in _RETRYABLE}}


# ----------------------------------------------------------------- requests


class _Body(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class RechargeBody(_Body):
    request_id: _RequestId
    kind: Literal["recharge"]
    card_no: _Text
    amount_fen: int


class SubscribeBody(_Body):
    request_id: _RequestId
    kind: Literal["subscribe"]
    card_no: _Text
    product_code: _Text
    months: int


class IssueCardsBody(_Body):
    request_id: _RequestId
    kind: Literal["issue_cards"]
    face_value_fen: int
    count: int


OperationBody = Annotated[RechargeBody | SubscribeBody | IssueCardsBody, Field(discriminator="kind")]
"""A ``POST /v1/operations`` body, told apart by ``kind``."""

_OPERATION_BODY: TypeAdapter[RechargeBody | SubscribeBody | IssueCardsBody] = TypeAdapter(OperationBody)


class ReversalBody(_Body):
    reason: _Text


def parse_operation(raw: bytes) -> Operation:
    """The operation a ``POST /v1/operations`` body asks for (raises ``ValidationError``)."""
    return operation_of(_OPERATION_BODY.validate_json(raw))


def operation_of(body: RechargeBody | SubscribeBody | IssueCardsBody) -> Operation:
    """The domain operation of a parsed request body."""
    if isinstance(body, RechargeBody):
        return Recharge(body.request_id, body.card_no, body.amount_fen)
    if isinstance(body, SubscribeBody):
        return Subscribe(body.request_id, body.card_no, body.product_code, body.months)
    return IssueCards(body.request_id, body.face_value_fen, body.count)


def operation_body(op: Operation) -> dict[str, Any]:
    """The request body that asked for ``op``, as the ledger keeps it."""
    fields: dict[str, Any] = {"request_id": op.request_id, "kind": op.kind.value}
    if isinstance(op, Recharge):
        fields.update(card_no=op.card_no, amount_fen=op.amount_fen)
    elif isinstance(op, Subscribe):
        fields.update(card_no=op.card_no, product_code=op.product_code, months=op.months)
    else:
        fields.update(face_value_fen=op.face_value_fen, count=op.count)
    return fields


# ------------------------------------------------------------------ answers


class _Answer(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)


class ProductAnswer(_Answer):
    """One entry of ``GET /v1/products``; also one ``[[products]]`` table of the seeded catalogue."""

    product_code: _Text
    name: _Text
    kind: Literal["channel", "recharge"]
    price_fen: int = Field(ge=0)
    period: Literal["month"] | None = None
    requires_two_way: bool

    @classmethod
    def of(cls, product: Product) -> ProductAnswer:
        period: Literal["month"] | None = "month" if product.period == "month" else None
        return cls(
            product_code=product.product_code,
            name=product.name,
            kind=product.kind.value,
            price_fen=product.price_fen,
            period=period,
            requires_two_way=product.requires_two_way,
        )

    def to_domain(self) -> Product:
        kind = ProductKind(self.kind)
        return Product(self.product_code, self.name, kind, self.price_fen, self.period, self.requires_two_way)


class EntitlementAnswer(_Answer):
    product_code: _Text
    valid_until: date


class SubscriberAnswer(_Answer):
    """``GET /v1/subscribers/{card_no}``; also a subscriber line of the ledger."""

    card_no: _Text
    subscriber_id: _Text
    status: Literal["active", "suspended", "closed"]
    two_way: bool
    region: str
    balance_fen: int
    entitlements: list[EntitlementAnswer]


class CardAnswer(_Answer):
    serial: _Text
    pin: _Text = Field(repr=False)  # never print a PIN
    face_value_fen: int = Field(ge=1)
    expires_on: date

    @classmethod
    def of(cls, card: IssuedCard) -> CardAnswer:
        return cls(
            serial=card.serial, pin=card.pin, face_value_fen=card.face_value_fen, expires_on=card.expires_on
        )


class OperationAnswer(_Answer):
    """An operation as ``POST``/``GET /v1/operations`` answer it; also an operation of the ledger."""

    request_id: _RequestId
    operation_id: _Text
    kind: Literal["recharge", "subscribe", "issue_cards"]
    status: Literal["applied", "reversed"]
    applied_at: AwareTime
    balance_fen: int | None = None
    valid_until: date | None = None
    cards: list[CardAnswer] = []
    reversed_at: AwareTime | None = None
    reversal_reason: str | None = None
    # what was applied, echoed from the request (version 1.1; the page is silent, so a careful
    # vendor's choice): what a reconciliation compares with what was asked for and paid
    card_no: _Text | None = None
    amount_fen: int | None = None
    product_code: _Text | None = None
    months: int | None = None
    face_value_fen: int | None = None
    count: int | None = None

    @classmethod
    def of(
        cls,
        result: OperationResult,
        reversed_at: datetime | None = None,
        reason: str | None = None,
        applied: Operation | None = None,
    ) -> OperationAnswer:
        echoed = operation_body(applied) if applied is not None else {}
        echoed.pop("request_id", None)
        echoed.pop("kind", None)
        return cls(
            request_id=result.request_id,
            operation_id=result.operation_id,
            kind=result.kind.value,
            status="reversed" if result.status == "reversed" else "applied",
            applied_at=result.applied_at,
            balance_fen=result.balance_fen,
            valid_until=result.valid_until,
            cards=[CardAnswer.of(card) for card in result.cards],
            reversed_at=reversed_at,
            reversal_reason=reason if reversed_at is not None else None,
            **echoed,
        )

    def render(self) -> dict[str, Any]:
        """The JSON answer: only the fields this kind and status carry."""
        return self.model_dump(mode="json", exclude_none=True, exclude={"cards"} if not self.cards else None)

    def to_domain(self) -> OperationResult:
        return OperationResult(
            request_id=self.request_id,
            operation_id=self.operation_id,
            kind=OperationKind(self.kind),
            status=self.status,
            applied_at=self.applied_at,
            balance_fen=self.balance_fen,
            valid_until=self.valid_until,
            cards=tuple(IssuedCard(c.serial, c.pin, c.face_value_fen, c.expires_on) for c in self.cards),
        )


class OperationsQuery(_Body):
    """The query of ``GET /v1/operations?date=&after=&limit=`` (version 1.1)."""

    model_config = ConfigDict(strict=False, extra="forbid", frozen=True)

    day: date = Field(alias="date")
    after: _Text | None = None
    limit: int = Field(100, ge=1, le=500)
