"""Sandbox-only routes under ``/sandbox``: look inside, turn the knobs, play the subscriber.

Not part of billing-core interface v1, hence unsigned: tests, the demo and
benchmarks use them to check what was really applied (the ledger), to change
behaviour while running (knobs), and to do what subscribers do between two
bridge calls (spend balance, redeem a point card), so reversal refusals can be
shown.

Each handler takes from the app only what it touches: the ``SandboxState``
(ledger, subscribers) or the ``Traffic`` (knobs, counters).
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from adapters.billing_core.sandbox import wire
from adapters.billing_core.sandbox.records import SandboxError
from adapters.billing_core.sandbox.routing import STATE, TRAFFIC, answer, parse_body
from adapters.billing_core.sandbox.state import SandboxState
from adapters.billing_core.sandbox.traffic import Traffic


class _Spend(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    amount_fen: int = Field(ge=1)


class _Redeem(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    card_no: str = Field(min_length=1)


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/sandbox/knobs", _get_knobs)
    router.add_post("/sandbox/knobs", _set_knobs)
    router.add_get("/sandbox/ledger", _ledger)
    router.add_get("/sandbox/subscribers", _subscribers)
    router.add_get("/sandbox/stats", _stats)
    router.add_post("/sandbox/subscribers/{card_no}/spend", _spend)
    router.add_post("/sandbox/cards/{serial}/redeem", _redeem)


def stats(state: SandboxState, traffic: Traffic) -> dict[str, Any]:
    """What ``GET /sandbox/stats`` answers: calls and their outcomes, and what was applied."""
    statuses = Counter(r.result.status for r in state.records.values())
    return {
        **traffic.counters(),
        "operations": {
            "applied": statuses["applied"],
            "reversed": statuses["reversed"],
            "repeated": len(state.repeats),
        },
        "reversals": {
            "by_request_id": state.reversal_counts(),
            "reversed_twice": sorted(rid for rid, n in state.reversal_counts().items() if n > 1),
        },
        "authorization_refreshes": sum(state.refreshes.values()),
    }


async def _get_knobs(request: web.Request) -> web.Response:
    return answer(request.app[TRAFFIC].knobs.model_dump(mode="json"))


async def _set_knobs(request: web.Request) -> web.Response:
    """Change any subset of the knobs; unknown fields and bad values are 400."""
    traffic = request.app[TRAFFIC]
    try:
        changes = json.loads(await request.read())
        if not isinstance(changes, dict):
            raise ValueError("expected a JSON object")
        knobs = traffic.set_knobs(**changes)  # validated together; nothing changes on a refusal
    except ValidationError as exc:
        raise SandboxError(400, "INVALID_REQUEST", wire.describe(exc)) from None
    except ValueError as exc:
        raise SandboxError(400, "INVALID_REQUEST", str(exc)) from None
    return answer(knobs.model_dump(mode="json"))


async def _ledger(request: web.Request) -> web.Response:
    return answer({"operations": [r.to_ledger() for r in request.app[STATE].ledger()]})


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
        for a in request.app[STATE].accounts.values()
        if (status is None or a.status == status) and (two_way is None or a.two_way == two_way)
    ]
    return answer({"subscribers": found[:limit] if limit > 0 else found})


async def _stats(request: web.Request) -> web.Response:
    return answer(stats(request.app[STATE], request.app[TRAFFIC]))


async def _spend(request: web.Request) -> web.Response:
    body = parse_body(_Spend, await request.read())
    account = request.app[STATE].spend(request.match_info["card_no"], body.amount_fen)
    return answer(account.to_wire())


async def _redeem(request: web.Request) -> web.Response:
    body = parse_body(_Redeem, await request.read())
    account = request.app[STATE].redeem(request.match_info["serial"], body.card_no)
    return answer(account.to_wire())
