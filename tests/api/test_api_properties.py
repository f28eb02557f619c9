"""The order API against its OpenAPI document, with requests Schemathesis generates from it.

Every generated request is signed afresh with a configured client's secret, and sent to the API on a
real port over a real store (each engine). No answer is a 5xx, each answer's status is documented for
its operation and its body is the documented schema. The statuses generation cannot reach (a refused
signature, a body over the cap, a client over its rate, a conflict, a store that fails) are sent by
hand and checked against the document too; together they reach every documented status of every
operation.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from bridge.core.errors import StoreUnavailable
from tests.api.channel import DOC, Answer, conforms, line, order
from tests.api.served import Served, served
from tests.databases import ENGINES

SCHEMA = schemathesis.openapi.from_dict(DOC)
CHECKS = [schemathesis.checks.not_a_server_error, status_code_conformance, response_schema_conformance]
_OPERATIONS = {
    f"{method.upper()} {path}": operation["operationId"]
    for path, operations in DOC["paths"].items()
    for method, operation in operations.items()
}


@dataclass
class Reached:
    """Each operation's statuses answered so far, on one engine."""

    statuses: dict[str, set[int]] = field(default_factory=dict)

    def add(self, operation: str, status: int) -> None:
        self.statuses.setdefault(operation, set()).add(status)


@pytest.fixture(scope="module", params=ENGINES)
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The API on a real port over a fresh store on each engine, for all the module's tests."""
    if request.param == "postgresql" and os.environ.get("BRIDGE_TEST_PG") == "skip":
        pytest.skip("BRIDGE_TEST_PG=skip: PostgreSQL tests are off")
    with served(request.param, tmp_path_factory.mktemp("api")) as api:
        yield api


@pytest.fixture(scope="module")
def reached(api: Served) -> Reached:
    return Reached()


@SCHEMA.parametrize()
@settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_generated_request_is_answered_as_documented(
    case: schemathesis.Case, api: Served, reached: Reached
) -> None:
    """No 5xx; the status documented for the operation; the body its response's schema; a request
    signed afresh is let in."""
    signer = api.signer()
    response = case.call(base_url=api.base, auth=signer)
    case.validate_response(response, checks=CHECKS, transport_kwargs={"base_url": api.base, "auth": signer})
    assert response.status_code != 401, response.text  # signed afresh: never a replay, never refused
    operation = _OPERATIONS.get(f"{case.method.upper()} {case.path}")  # else a method the path lacks
    if operation is not None:
        reached.add(operation, response.status_code)


class _Failing:
    """The store's ``api_orders`` role with its order reads and writes raising ``error`` (the
    signatures still remembered, so a request gets past the door)."""

    def __init__(self, real: object, error: Exception) -> None:
        self._real, self._error = real, error

    def __getattr__(self, name: str) -> object:
        if name in ("add_order", "order", "order_view", "request_refund", "orders_paid"):
            return self._raise
        return getattr(self._real, name)

    async def _raise(self, *args: object) -> None:
        raise self._error


_REQUESTS = {  # one request of each signed operation: method, target, body
    "submitOrder": ("POST", "/api/v1/orders", json.dumps(order("H-HAND")).encode()),
    "listOrders": ("GET", "/api/v1/orders?date=2026-12-08", b""),
    "getOrder": ("GET", "/api/v1/orders/H-HAND", b""),
    "refundOrder": ("POST", "/api/v1/orders/H-HAND/refund", b""),
}


def _send(
    base: str, request: tuple[str, str, bytes], auth: requests.auth.AuthBase | None = None, **extra: Any
) -> Answer:
    """A request sent by hand, its answer checked against the document like a generated one."""
    method, target, body = request
    sent = requests.request(method, base + target, data=body, auth=auth, timeout=10, **extra)
    answer = Answer(sent.status_code, sent.json(), dict(sent.headers))
    conforms(method, target, answer)
    return answer


def _hand_written(api: Served, reached: Reached) -> None:
    """The statuses generation cannot reach, for each signed operation."""
    tight = api.signer("tight")
    tight.step_s = 0  # the clock stands still: past its burst, the client is over its rate
    for n in range(2):
        _send(api.base, ("GET", f"/api/v1/orders/H-BURST{n}", b""), tight)
    for operation, request in _REQUESTS.items():  # before any other signature moves the clock on
        limited = _send(api.base, request, tight)
        assert int(limited.headers["Retry-After"]) >= 1
        reached.add(operation, limited.status)
    broken = {
        500: api.serve(_Failing(api.store.api_orders, RuntimeError("a bug"))),
        503: api.serve(_Failing(api.store.api_orders, StoreUnavailable("down", code="STORE_DOWN"))),
    }
    for operation, request in _REQUESTS.items():
        method, target, body = request
        answers = [
            _send(api.base, request),  # unsigned: 401
            _send(api.base, (method, target, body + b" " * 5000), api.signer()),  # over the cap: 413
            *(_send(base, request, api.signer()) for base in broken.values()),  # 500, 503
        ]
        for answer in answers:
            reached.add(operation, answer.status)
    reached.add("submitOrder", _send(api.base, ("POST", "/api/v1/orders", b"[]"), api.signer()).status)
    conflict = json.dumps(order("H-HAND", line(amount_fen=1))).encode()
    for body in (_REQUESTS["submitOrder"][2], conflict):
        reached.add("submitOrder", _send(api.base, ("POST", "/api/v1/orders", body), api.signer()).status)
    reached.add("getOrder", _send(api.base, ("GET", "/api/v1/orders/H-NONE", b""), api.signer()).status)
    refund = ("POST", "/api/v1/orders/H-HAND/refund", b"")
    reached.add("refundOrder", _send(api.base, refund, api.signer()).status)
    refund = ("POST", "/api/v1/orders/H-NONE/refund", b"")
    reached.add("refundOrder", _send(api.base, refund, api.signer()).status)


def test_every_documented_status_is_reached(api: Served, reached: Reached) -> None:
    """Over the generated requests (the test above) and a few by hand, each operation answers every
    status its document lists (the 500 of a failing bug included), each answer as documented."""
    _hand_written(api, reached)
    for path, operations in DOC["paths"].items():
        for method, operation in operations.items():
            name = operation["operationId"]
            documented = {int(status) for status in operation["responses"]}
            assert documented <= reached.statuses.get(name, set()), f"{method.upper()} {path}: {reached}"
