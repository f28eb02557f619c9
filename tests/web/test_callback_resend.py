"""The order page of a channel's order lists its callbacks, and CS resends one: sent again with the same
key at the sender's next look, audited; through the real app and a real receiver, on both engines."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.test_utils import TestServer
from pydantic import SecretStr

from adapters.callbacks.client import CallbackClient
from bridge.core.api_orders import ApiOrderRecord
from bridge.services.api_callbacks import Sender, send_due
from bridge.services.metering import NoMetrics
from bridge.settings_api import ApiClientSettings, ApiSettings
from bridge.store.api_callbacks import queue_callback
from tests.api.receiver import SECRET, Receiver
from tests.web.conftest import Desk
from tests.web.rig import UNKNOWN_CARD

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]
CHANNEL = ApiSettings(
    enabled=True,
    clients={"main": ApiClientSettings(key_id="hall-1", secret_env="UNUSED", secret=SecretStr(SECRET))},
)


async def _channel_order(desk: Desk, url: str) -> tuple[str, str]:
    """An order whose shop is a channel's (its callback queued, as the API storefront does); tid, key."""
    tid = await desk.rig.order(message=f"卡号{UNKNOWN_CARD}")
    await desk.rig.cycle()
    now = desk.deps.clock()
    store = desk.deps.store
    await store.api_orders.add_order(ApiOrderRecord("main", tid, {}, "0" * 64, now, now, now))
    async with store.engine.begin() as conn:  # the rig's store is a SqlStore
        key = await queue_callback(conn, "main", tid, "needs_attention", url, {"order_id": tid}, now)
    assert key is not None
    return tid, key


def _sender(desk: Desk) -> Sender:
    poster = CallbackClient(desk.rig.http)
    return Sender(
        desk.deps.store.api_callbacks, poster, CHANNEL, desk.deps.clock, "me", random.Random(1), NoMetrics()
    )


async def test_the_order_page_lists_the_callbacks_with_a_resend_button(desk: Desk) -> None:
    """Key, state, tries, acknowledgement and the 重发 form (with the console's CSRF token)."""
    tid, key = await _channel_order(desk, "http://127.0.0.1:9/hook")
    await desk.login("cs1")
    html = await (await desk.client.get(f"/orders/main/{tid}")).text()
    section = html[html.index('id="callbacks"') :]
    assert key in section and "needs_attention" in section and "等待确认" in section
    assert f'action="/orders/main/{tid}/callbacks/resend"' in section and "重发" in section
    assert 'name="csrf"' in section


async def test_a_resent_callback_is_sent_again_with_its_key(
    desk: Desk, aiohttp_server: ServerFactory
) -> None:
    """Acknowledged once, resent by CS: the sender's next look sends it again, same key, signed."""
    receiver = Receiver()
    server = await aiohttp_server(receiver.app())
    tid, key = await _channel_order(desk, str(server.make_url("/hook/orders")))
    sender = _sender(desk)
    assert await send_due(sender) == 1
    await desk.login("cs1")
    answer = await desk.post(f"/orders/main/{tid}/callbacks/resend", {"key": key})
    assert answer.status == 303 and "msg=done" in answer.headers["Location"]
    assert await send_due(sender) == 1
    assert [(g.key, g.signed) for g in receiver.got] == [(key, True), (key, True)]


async def test_a_resend_is_audited_on_the_order(desk: Desk) -> None:
    """The order's audit list names the action, who did it and the key."""
    tid, key = await _channel_order(desk, "http://127.0.0.1:9/hook")
    await desk.login("cs1")
    await desk.post(f"/orders/main/{tid}/callbacks/resend", {"key": key})
    [row] = [
        r
        for r in await desk.deps.store.console.audit_entries(tid=tid, limit=10)
        if r.action == "callback_resend"
    ]
    assert (row.actor, row.outcome, row.detail["callback"], row.detail["attempts"]) == ("cs1", "done", key, 0)
    html = await (await desk.client.get(f"/orders/main/{tid}")).text()
    assert "重发渠道回调" in html


async def test_a_key_the_order_does_not_have_is_refused(desk: Desk) -> None:
    """Another order's key (or a made-up one) changes nothing and says so."""
    tid, _ = await _channel_order(desk, "http://127.0.0.1:9/hook")
    await desk.login("cs1")
    answer = await desk.post(f"/orders/main/{tid}/callbacks/resend", {"key": "other.X.1"})
    assert "msg=refused" in answer.headers["Location"]
    page = await (await desk.client.get(answer.headers["Location"])).text()
    assert "这个订单没有这条回调" in page
