"""What the ``/v1`` and ``/sandbox`` routes share: the app keys, JSON answers, body parsing.

Handlers reach only the parts they use, each under its own typed key: the
billing core's ``SandboxState``, the ``Traffic`` the knobs act on, and the
``Credentials`` a caller must sign with. None of them is the assembled
``BillingSandbox``, so this module, ``admin`` and ``app`` sit below ``server``
(which builds them) and never import it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from adapters.billing_core.sandbox import wire
from adapters.billing_core.sandbox.records import SandboxError
from adapters.billing_core.sandbox.state import SandboxState
from adapters.billing_core.sandbox.traffic import Traffic


@dataclass(frozen=True)
class Credentials:
    """The one integrator key the sandbox accepts, and its HMAC secret."""

    api_key: str
    secret: str = field(repr=False)  # never print the secret


STATE = web.AppKey("billing_state", SandboxState)
TRAFFIC = web.AppKey("billing_traffic", Traffic)
CREDENTIALS = web.AppKey("billing_credentials", Credentials)
_M = TypeVar("_M", bound=BaseModel)


def answer(body: dict[str, Any], status: int = 200) -> web.Response:
    """A JSON answer (UTF-8, Chinese names unescaped)."""
    return web.json_response(
        body, status=status, dumps=lambda obj: json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    )


def parse_body(model: type[_M], body: bytes) -> _M:
    """A request body as ``model``, or 400 INVALID_REQUEST naming the field."""
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        raise SandboxError(400, "INVALID_REQUEST", wire.describe(exc)) from None
