"""``BillingClient`` against a scripted server: nonsense answers, and what the client logs.

A nonsense answer (HTML, missing fields, wrong types, another request_id)
names the endpoint and the field, without echoing card numbers or PINs; to a
read a person decides, to a POST that applies it means "maybe applied" (the
bridge looks the request_id up).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from structlog.testing import capture_logs

from bridge.core.errors import Ambiguous, BridgeError, Permanent, Retryable, Unavailable
from bridge.core.masking import mask_card
from bridge.core.models import IssueCards, Recharge

from .helpers import CARD, SECRET, Script, error_body, scripted_client

# ------------------------------------------------------------------ nonsense


_OP = {"request_id": "r-1", "operation_id": "OP1", "kind": "recharge", "status": "applied"}
_AT = "2026-11-24T10:00:00+08:00"
_SUB = {"card_no": CARD, "subscriber_id": "S1", "status": "active", "two_way": True, "region": "410100"}
_JSON = "application/json"
_HTML = "text/html"


@pytest.mark.parametrize(
    ("status", "body", "content_type", "call", "names"),
    [
        (200, b"<html><body>Bad gateway</body></html>", _HTML, "products",
         ["GET /v1/products", "not JSON", _HTML]),
        (200, b"", _JSON, "products", ["GET /v1/products", "not JSON"]),
        (200, {"products": [{"product_code": "X"}]}, _JSON, "products", ["products.0.name"]),
        (200, {"items": []}, _JSON, "products", ["products"]),
        (200, {**_SUB, "balance_fen": "1250", "entitlements": []}, _JSON, "subscriber", ["balance_fen"]),
        (200, {**_OP, "applied_at": _AT}, _JSON, "apply", ["POST /v1/operations", "balance_fen"]),
        (200, {**_OP, "applied_at": "2026-11-24T10:00:00", "balance_fen": 1}, _JSON, "apply", ["applied_at"]),
        (200, {**_OP, "request_id": "r-2", "applied_at": _AT, "balance_fen": 1}, _JSON, "apply",
         ["another request_id"]),
        (200, {"queued": "yes"}, _JSON, "refresh", ["authorization-refresh", "queued"]),
        (404, b"<html>Not Found</html>", _HTML, "subscriber",
         ["GET /v1/subscribers/{card_no}", "HTTP 404", "unreadable"]),
        (302, b"", _HTML, "products", ["unexpected HTTP 302"]),
    ],
    ids=["html", "empty", "missing-field", "wrong-shape", "wrong-type", "kind-field", "naive-time",
         "other-request", "queued", "html-404", "redirect"],
)  # fmt: skip  # one case per line reads as a table
async def test_nonsense_answers_are_answer_invalid(
    scripted: tuple[Script, str], status: int, body: Any, content_type: str, call: str, names: list[str]
) -> None:
    """Named for a person; after a POST that applies, maybe applied (Ambiguous), else Permanent."""
    script, base = scripted
    script.status, script.body, script.content_type = status, body, content_type
    async with aiohttp.ClientSession() as http:
        client = scripted_client(http, base, read_attempts=1)
        calls: dict[str, Callable[[], Awaitable[object]]] = {
            "products": client.products,
            "subscriber": lambda: client.subscriber(CARD),
            "apply": lambda: client.apply(Recharge("r-1", CARD, 100)),
            "refresh": lambda: client.refresh_authorization(CARD),
        }
        expected: type[BridgeError] = Ambiguous if call == "apply" else Permanent
        with pytest.raises(expected) as caught:
            await calls[call]()
    assert type(caught.value) is expected and caught.value.code == "BILLING_ANSWER_INVALID"
    for name in names:
        assert name in str(caught.value)


async def test_unreadable_503_is_still_unavailable(scripted: tuple[Script, str]) -> None:
    """A proxy's HTML maintenance page keeps its meaning: come back later."""
    script, base = scripted
    script.status, script.body, script.content_type = 503, b"<html>down</html>", "text/html"
    async with aiohttp.ClientSession() as http:
        with pytest.raises(Unavailable) as caught:
            await scripted_client(http, base).apply(Recharge("r-1", CARD, 100))
    assert caught.value.code == "HTTP_503"


# ------------------------------------------------------------------ logging


async def test_logs_mask_cards_and_never_show_pins_or_the_secret(scripted: tuple[Script, str]) -> None:
    script, base = scripted
    card = {"serial": "PC0050", "pin": "9876543210123456", "face_value_fen": 5000, "expires_on": "2027-11-24"}
    script.body = {**_OP, "kind": "issue_cards", "applied_at": _AT, "cards": [card]}
    script.then = [Script(status=500, body=error_body("INTERNAL", True))]
    async with aiohttp.ClientSession() as http:
        client = scripted_client(http, base)
        with capture_logs() as logs:
            result = await client.apply(IssueCards("r-1", 5000, 1))
            with pytest.raises(Retryable):
                await client.apply(Recharge("r-2", CARD, 100))
    assert result.cards[0].pin == "9876543210123456"
    text = repr(logs) + repr(result)
    assert "****5678" in text
    for secret in (CARD, "9876543210123456", SECRET):
        assert secret not in text


async def test_log_context_shows_a_card_as_mask_card_does(scripted: tuple[Script, str]) -> None:
    """Each call naming a card logs it as ``mask_card`` shows it: the text pages and errors use."""
    script, base = scripted
    script.status, script.body = 404, error_body("SUBSCRIBER_NOT_FOUND")
    async with aiohttp.ClientSession() as http:
        client = scripted_client(http, base, read_attempts=1)
        calls: list[Callable[[], Awaitable[object]]] = [
            lambda: client.subscriber(CARD),
            lambda: client.refresh_authorization(CARD),
            lambda: client.apply(Recharge("r-1", CARD, 100)),
        ]
        with capture_logs() as logs:
            for call in calls:
                with pytest.raises(Permanent):
                    await call()
    assert [entry["card"] for entry in logs] == [mask_card(CARD)] * 3
