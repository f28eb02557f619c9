"""``scripts/api-call``: the README's way for a channel to call the API with curl signs as the API checks.

The script signs in the shell (sha256sum, HMAC in python3 from the environment) and sends with curl:
its order is stored, read back, and the same request with a wrong secret is refused.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

from tests.api.channel import order
from tests.api.conftest import SETTINGS, Api

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "api-call"


async def _call(api: Api, secret: str, *args: str) -> tuple[str, str]:
    """The script's stdout (the body) and its stderr's last line (``HTTP <status>``)."""
    env = {
        **os.environ,
        "BRIDGE_API_URL": api.base,
        "BRIDGE_API_KEY": SETTINGS.clients["hall"].key_id,
        "BRIDGE_API_SECRET": secret,
        "BRIDGE_API_TIMESTAMP": str(int(api.clock.now.timestamp())),
    }
    proc = await asyncio.create_subprocess_exec(
        str(SCRIPT), *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    api.clock.later(1)  # the next call is signed at another second: another signature
    return out.decode(), err.decode().strip().splitlines()[-1]


async def test_an_order_placed_with_the_script_is_stored_and_reads_back(api: Api, tmp_path: Path) -> None:
    """POST with a body file answers 201 and stores it; GET reads it back by its id."""
    body = tmp_path / "order.json"
    body.write_text(json.dumps(order()), encoding="utf-8")
    secret = SETTINGS.clients["hall"].secret.get_secret_value()
    posted, status = await _call(api, secret, "POST", "/api/v1/orders", str(body))
    assert status == "HTTP 201", posted
    read, status = await _call(api, secret, "GET", "/api/v1/orders/H20261208001")
    assert status == "HTTP 200"
    assert json.loads(read)["order_id"] == "H20261208001"


async def test_the_script_with_a_wrong_secret_is_refused(api: Api, tmp_path: Path) -> None:
    """The signature is what the API checks: another secret gets 401 API_BAD_SIGNATURE."""
    body = tmp_path / "order.json"
    body.write_text(json.dumps(order()), encoding="utf-8")
    answer, status = await _call(api, "not-the-secret", "POST", "/api/v1/orders", str(body))
    assert status == "HTTP 401"
    assert json.loads(answer)["error"]["code"] == "API_BAD_SIGNATURE"
