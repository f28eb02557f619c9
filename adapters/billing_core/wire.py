"""The JSON shapes of billing-core interface version 1, as the client reads and writes them.

Pydantic models of every body the client sends or receives, with the
conversions to and from ``bridge.core.models``. The client's side only: the
sandbox parses requests and renders answers with its own models
(``adapters.billing_core.sandbox.wire``), written apart from these from the
same interface description, so a field one of them gets wrong is a
disagreement the contract suite sees rather than a mistake both share.

Answers are parsed strictly (no "1250" for 1250, aware datetimes only) but
ignore unknown fields, as a tolerant reader should. Requests forbid unknown
fields. A nonsense answer becomes ``Permanent("BILLING_ANSWER_INVALID")``
naming the endpoint and the field; messages never echo the offending value,
since it may be a PIN or a card number.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime, timezone
from typing import Annotated, Literal, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    model_validator,
)

from bridge.core import request_ids
from bridge.core.errors import Permanent
from bridge.core.models import (
    Entitlement,
    IssueCards,
    IssuedCard,
    Operation,
    OperationKind,
    OperationResult,
    Product,
    ProductKind,
    Recharge,
    Subscribe,
    Subscriber,
)

ANSWER_INVALID = "BILLING_ANSWER_INVALID"
REQUEST_ID_PATTERN = request_ids.WIRE_PATTERN

RequestId = Annotated[str, StringConstraints(pattern=REQUEST_ID_PATTERN)]
_Text = Annotated[str, StringConstraints(min_length=1, max_length=200)]
_Kind = Literal["recharge", "subscribe", "issue_cards"]


def _stdlib_tz(value: datetime) -> datetime:
    """Swap pydantic's own tzinfo class for ``datetime.timezone``.

    Domain datetimes then carry a plain, picklable tzinfo; pydantic-core's
    ``TzInfo`` has also been seen to crash the interpreter when garbage
    collected at shutdown under ``python -X dev``.
    """
    offset = value.utcoffset()
    return value if offset is None else value.replace(tzinfo=timezone(offset))


AwareTime = Annotated[AwareDatetime, AfterValidator(_stdlib_tz)]
"""A timezone-aware datetime (naive is refused) with a standard-library tzinfo."""


class _Answer(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)


class _Request(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


# ------------------------------------------------------------------ answers


class ProductWire(_Answer):
    product_code: _Text
    name: _Text
    kind: Literal["channel", "recharge"]
    price_fen: int = Field(ge=0)
    period: Literal["month"] | None
    requires_two_way: bool

    def to_domain(self) -> Product:
        return Product(
            product_code=self.product_code,
            name=self.name,
            kind=ProductKind(self.kind),
            price_fen=self.price_fen,
            period=self.period,
            requires_two_way=self.requires_two_way,
        )


class ProductsWire(_Answer):
    products: list[ProductWire]


class EntitlementWire(_Answer):
    product_code: _Text
    valid_until: date


class SubscriberWire(_Answer):
    card_no: _Text
    subscriber_id: _Text
    status: Literal["active", "suspended", "closed"]
    two_way: bool
    region: str
    balance_fen: int
    entitlements: list[EntitlementWire]

    def to_domain(self) -> Subscriber:
        return Subscriber(
            card_no=self.card_no,
            subscriber_id=self.subscriber_id,
            status=self.status,
            two_way=self.two_way,
            region=self.region,
            balance_fen=self.balance_fen,
            entitlements=tuple(Entitlement(e.product_code, e.valid_until) for e in self.entitlements),
        )


class CardWire(_Answer):
    serial: _Text
    pin: _Text = Field(repr=False)  # never print a PIN
    face_value_fen: int = Field(ge=1)
    expires_on: date


class OperationWire(_Answer):
    request_id: RequestId
    operation_id: _Text
    kind: _Kind
    status: Literal["applied", "reversed"]
    applied_at: AwareTime
    balance_fen: int | None = None
    valid_until: date | None = None
    cards: list[CardWire] = []
    reversed_at: AwareTime | None = None
    reversal_reason: str | None = None
    # echoed from the request by a version 1.1 core (optional: a 1.0 core leaves them out)
    card_no: _Text | None = Field(None, repr=False)
    amount_fen: int | None = None
    product_code: _Text | None = None
    months: int | None = None
    face_value_fen: int | None = None
    count: int | None = None

    @model_validator(mode="after")
    def _kind_fields(self) -> OperationWire:
        missing = {
            "recharge": "balance_fen" if self.balance_fen is None else None,
            "subscribe": "valid_until" if self.valid_until is None else None,
            "issue_cards": "cards" if not self.cards else None,
        }[self.kind]
        if missing:
            raise ValueError(f"a {self.kind} operation must carry {missing}")
        return self

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
            applied=self._applied(),
        )

    def _applied(self) -> Operation | None:
        """The operation as the core echoed it; ``None`` when it did not echo all of its fields."""
        if self.kind == "recharge" and self.card_no is not None and self.amount_fen is not None:
            return Recharge(self.request_id, self.card_no, self.amount_fen)
        if self.kind == "subscribe" and self.card_no and self.product_code and self.months is not None:
            return Subscribe(self.request_id, self.card_no, self.product_code, self.months)
        if self.kind == "issue_cards" and self.face_value_fen is not None and self.count is not None:
            return IssueCards(self.request_id, self.face_value_fen, self.count)
        return None


class OperationsPageWire(_Answer):
    """``GET /v1/operations?date=`` (version 1.1): a page of the day's operations and the next cursor."""

    operations: list[OperationWire]
    next: _Text | None


class QueuedWire(_Answer):
    queued: bool


class ErrorDetail(_Answer):
    code: Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_]*$")]
    message: str
    retryable: bool


class ErrorWire(_Answer):
    error: ErrorDetail


# ----------------------------------------------------------------- requests


class RechargeRequest(_Request):
    request_id: RequestId
    kind: Literal["recharge"]
    card_no: _Text
    amount_fen: int


class SubscribeRequest(_Request):
    request_id: RequestId
    kind: Literal["subscribe"]
    card_no: _Text
    product_code: _Text
    months: int


class IssueCardsRequest(_Request):
    request_id: RequestId
    kind: Literal["issue_cards"]
    face_value_fen: int
    count: int


OperationRequest = Annotated[
    RechargeRequest | SubscribeRequest | IssueCardsRequest, Field(discriminator="kind")
]
_OPERATION_REQUEST: TypeAdapter[RechargeRequest | SubscribeRequest | IssueCardsRequest] = TypeAdapter(
    OperationRequest
)


class ReversalRequest(_Request):
    reason: _Text


def operation_to_request(op: Operation) -> RechargeRequest | SubscribeRequest | IssueCardsRequest:
    """The POST /v1/operations body of a domain operation (raises ``ValidationError``)."""
    return _OPERATION_REQUEST.validate_python(asdict(op) | {"kind": op.kind.value})


def is_request_id(text: str) -> bool:
    """Whether ``text`` is a valid request_id (1-64 chars of ``[A-Za-z0-9._:-]``)."""
    return request_ids.is_valid(text)


def describe(exc: ValidationError, limit: int = 3) -> str:
    """Where and why validation failed, without echoing any input value."""
    parts = []
    for err in exc.errors(include_input=False, include_url=False)[:limit]:
        where = ".".join(str(p) for p in err["loc"]) or "body"
        msg = "not JSON" if err["type"] == "json_invalid" else err["msg"]
        parts.append(f"{where}: {msg}")
    more = exc.error_count() - limit
    return "; ".join(parts) + (f" (+{more} more)" if more > 0 else "")


_M = TypeVar("_M", bound=BaseModel)


def parse_answer(model: type[_M], endpoint: str, body: bytes, content_type: str = "") -> _M:
    """Validate an answer body, or raise ``Permanent(BILLING_ANSWER_INVALID)`` naming what is wrong."""
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        detail = describe(exc)
        if content_type and "json" not in content_type:
            detail = f"Content-Type {content_type}: {detail}"
        raise Permanent(f"{endpoint} answered nonsense: {detail}", code=ANSWER_INVALID) from None
