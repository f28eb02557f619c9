"""What the ``/v1`` and ``/sandbox`` routes share: the app key, JSON answers, body parsing.

A leaf module so ``app.py`` and ``admin.py`` need not import each other.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from adapters.billing_core import wire
from adapters.billing_core.sandbox.records import SandboxError

if TYPE_CHECKING:
    from adapters.billing_core.sandbox.server import BillingSandbox

SANDBOX: web.AppKey[BillingSandbox] = web.AppKey("billing_sandbox")
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
