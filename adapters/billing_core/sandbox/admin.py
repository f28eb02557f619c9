"""Sandbox-only routes under ``/sandbox``: look inside, turn the knobs, play the subscriber.

Not part of billing-core interface v1, hence unsigned: tests, the demo and
benchmarks use them to check what was really applied (the ledger), to change
behaviour while running (knobs), and to do what subscribers do between two
bridge calls (spend balance, redeem a point card), so reversal refusals can be
shown.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from adapters.billing_core import wire
from adapters.billing_core.sandbox.knobs import BillingKnobs
from adapters.billing_core.sandbox.records import SandboxError

if TYPE_CHECKING:
    from adapters.billing_core.sandbox.server import BillingSandbox

_Key = web.AppKey["BillingSandbox"]
_SANDBOX: list[_Key] = []  # the app key, handed over by add_routes (avoids an import cycle)


class _Spend(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    amount_fen: int = Field(ge=1)


class _Redeem(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    card_no: str = Field(min_length=1)


def add_routes(router: web.UrlDispatcher, key: _Key) -> None:
    _SANDBOX[:] = [key]
    router.add_get("/sandbox/knobs", _get_knobs)
    router.add_post("/sandbox/knobs", _set_knobs)
    router.add_get("/sandbox/ledger", _ledger)
    router.add_get("/sandbox/subscribers", _subscribers)
    router.add_get("/sandbox/stats", _stats)
    router.add_post("/sandbox/subscribers/{card_no}/spend", _spend)
    router.add_post("/sandbox/cards/{serial}/redeem", _redeem)


def _sandbox(request: web.Request) -> BillingSandbox:
    return request.app[_SANDBOX[0]]


def _ok(body: dict[str, Any]) -> web.Response:
    return web.json_response(body, dumps=lambda obj: json.dumps(obj, ensure_ascii=False))


def _parse(model: type[wire.M], body: bytes) -> wire.M:
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        raise SandboxError(400, "INVALID_REQUEST", wire.describe(exc)) from None


async def _get_knobs(request: web.Request) -> web.Response:
    return _ok(_sandbox(request).knobs.model_dump(mode="json"))


async def _set_knobs(request: web.Request) -> web.Response:
    """Change any subset of the knobs; unknown fields and bad values are 400."""
    sandbox = _sandbox(request)
    try:
        changes = json.loads(await request.read())
        if not isinstance(changes, dict):
            raise ValueError("expected a JSON object")
        knobs = BillingKnobs.model_validate({**sandbox.knobs.model_dump(), **changes})
    except ValidationError as exc:
        raise SandboxError(400, "INVALID_REQUEST", wire.describe(exc)) from None
    except ValueError as exc:
        raise SandboxError(400, "INVALID_REQUEST", str(exc)) from None
    sandbox.knobs = knobs
    return _ok(knobs.model_dump(mode="json"))


async def _ledger(request: web.Request) -> web.Response:
    records = _sandbox(request).state.records.values()
    return _ok({"operations": [r.to_ledger() for r in records]})


async def _subscribers(request: web.Request) -> web.Response:
    """Every account, optionally ``?status=active&two_way=true&limit=10``."""
    query = request.query
    status = query.get("status")
    two_way = {"true": True, "false": False}.get(query.get("two_way", "").lower())
    try:
        limit = int(query.get("limit", "0"))
    except ValueError:
        raise SandboxError(400, "INVALID_REQUEST", "limit must be an integer") from None
    found = [
        a.to_wire()
        for a in _sandbox(request).state.accounts.values()
        if (status is None or a.status == status) and (two_way is None or a.two_way == two_way)
    ]
    return _ok({"subscribers": found[:limit] if limit > 0 else found})


async def _stats(request: web.Request) -> web.Response:
    return _ok(_sandbox(request).stats())


async def _spend(request: web.Request) -> web.Response:
    body = _parse(_Spend, await request.read())
    account = _sandbox(request).state.spend(request.match_info["card_no"], body.amount_fen)
    return _ok(account.to_wire())


async def _redeem(request: web.Request) -> web.Response:
    body = _parse(_Redeem, await request.read())
    account = _sandbox(request).state.redeem(request.match_info["serial"], body.card_no)
    return _ok(account.to_wire())
