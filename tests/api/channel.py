"""A channel client for the tests: signs its requests as docs/api.md says, over real HTTP, and checks
every answer against the OpenAPI document the bridge serves (its status documented, its body the schema's)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from jsonschema import Draft202012Validator
from yarl import URL

from bridge.api.handlers import OPENAPI
from bridge.core.api_signing import KEY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign

DOC: dict[str, Any] = json.loads(OPENAPI)
NOW = datetime(2026, 12, 8, 2, 0, tzinfo=UTC)  # 10:00 China time


@dataclass
class ServerClock:
    """The API's clock (the database's in the daemon), moved by the tests."""

    now: datetime = NOW
    ticks: float = 0.0  # the rate limits' monotonic seconds

    def __call__(self) -> datetime:
        return self.now

    def monotonic(self) -> float:
        return self.ticks

    def later(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
        self.ticks += seconds


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def code(self) -> str:
        return str(self.body["error"]["code"])


def _template(path: str) -> str | None:
    for template in DOC["paths"]:
        if re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", template), path):
            return template
    return None


def conforms(method: str, target: str, answer: Answer) -> None:
    """The answer's status is documented for the operation, and its body matches that response's schema."""
    template = _template(URL(target).path)
    if template is None or method.lower() not in DOC["paths"][template]:
        assert answer.status in (404, 405), f"{method} {target}: undocumented, answered {answer.status}"
        response = DOC["components"]["responses"]["NoRoute" if answer.status == 404 else "MethodNotAllowed"]
    else:
        responses = DOC["paths"][template][method.lower()]["responses"]
        assert str(answer.status) in responses, (
            f"{method} {template} answered {answer.status}: not documented"
        )
        response = responses[str(answer.status)]
    if "$ref" in response:
        response = DOC["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    schema = {**DOC, **response["content"]["application/json"]["schema"]}  # the document roots its refs
    Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER).validate(answer.body)


@dataclass
class Channel:
    """One client of the API at ``base``: its key id and secret, timestamps from the server's clock."""

    http: aiohttp.ClientSession
    base: str
    key_id: str
    secret: str
    clock: ServerClock

    def headers(
        self, method: str, target: str, body: bytes, *, off_s: int = 0, secret: str | None = None
    ) -> dict[str, str]:
        stamp = str(int(self.clock.now.timestamp()) + off_s)
        return {
            KEY_HEADER: self.key_id,
            TIMESTAMP_HEADER: stamp,
            SIGNATURE_HEADER: sign(secret or self.secret, method, target, stamp, body),
            "Content-Type": "application/json",
        }

    async def send(self, method: str, target: str, body: bytes = b"", **signing: Any) -> Answer:
        """A signed request (``off_s``: the timestamp that far off; ``secret``: signed with another)."""
        return await self.raw(method, target, body, self.headers(method, target, body, **signing))

    async def post(self, order: dict[str, Any]) -> Answer:
        return await self.send("POST", "/api/v1/orders", json.dumps(order).encode())

    async def get(self, target: str) -> Answer:
        return await self.send("GET", target)

    async def raw(self, method: str, target: str, body: Any, headers: dict[str, str]) -> Answer:
        """A request as given, its answer checked against the document."""
        url = URL(self.base + target, encoded=True)
        async with self.http.request(method, url, data=body, headers=headers) as resp:
            answer = Answer(resp.status, await resp.json(content_type=None), dict(resp.headers))
        conforms(method, target, answer)
        return answer


def order(order_id: str = "H20261208001", *lines: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """An order body (one 100-yuan top-up line unless ``lines``)."""
    return {
        "order_id": order_id,
        "paid_at": "2026-12-08T09:58:00+08:00",
        "lines": list(lines) or [line()],
        **fields,
    }


def line(**fields: Any) -> dict[str, Any]:
    return {"sku": "TV-RC-0100", "quantity": 1, "amount_fen": 10000, "card_no": "8371000012345678", **fields}
