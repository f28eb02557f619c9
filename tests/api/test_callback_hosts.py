"""``callback_hosts``: a client's callback URL may name only the hosts its settings list (both engines);
a client that lists none may give no callback URL at all."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from pydantic import SecretStr

from bridge.api import ApiContext, make_api_app
from bridge.settings_api import ApiClientSettings, ApiSettings
from bridge.store import SqlStore
from tests.api.channel import Channel, ServerClock, order

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]
HOSTS = ApiSettings(
    enabled=True,
    clients={
        "hall": ApiClientSettings(
            key_id="hall-1", secret_env="UNUSED", secret=SecretStr("s1"), callback_hosts=("Hall.Example",)
        ),
        "app": ApiClientSettings(key_id="app-1", secret_env="UNUSED", secret=SecretStr("s2")),
    },
)


@pytest.fixture
async def channels(store: SqlStore, aiohttp_server: ServerFactory) -> AsyncIterator[dict[str, Channel]]:
    clock = ServerClock()
    server = await aiohttp_server(make_api_app(ApiContext(HOSTS, store.api_orders, clock)))
    base = str(server.make_url("")).rstrip("/")
    async with aiohttp.ClientSession() as http:
        yield {
            name: Channel(http, base, c.key_id, c.secret.get_secret_value(), clock)
            for name, c in HOSTS.clients.items()
        }


async def test_a_callback_url_on_a_listed_host_is_taken(channels: dict[str, Channel]) -> None:
    """The host compares without regard to case, whatever the port and path."""
    answer = await channels["hall"].post(order(callback_url="https://hall.example:8443/hook?x=1"))
    assert answer.status == 201


async def test_a_callback_url_on_another_host_is_refused_naming_it(channels: dict[str, Channel]) -> None:
    """422 API_CALLBACK_HOST naming the host, in Chinese and English; nothing stored."""
    answer = await channels["hall"].post(order(callback_url="https://evil.example/hook"))
    assert (answer.status, answer.code, answer.body["error"]["host"]) == (
        422,
        "API_CALLBACK_HOST",
        "evil.example",
    )
    assert "evil.example" in answer.body["error"]["message"]
    assert (await channels["hall"].get("/api/v1/orders/H20261208001")).status == 404


async def test_a_client_with_no_callback_hosts_may_give_no_callback_url(channels: dict[str, Channel]) -> None:
    """No host listed refuses every callback URL (callbacks must be asked for in the settings)."""
    answer = await channels["app"].post(order(callback_url="https://hall.example/hook"))
    assert (answer.status, answer.code) == (422, "API_CALLBACK_HOST")


async def test_an_order_without_a_callback_url_needs_no_host(channels: dict[str, Channel]) -> None:
    """The check applies only to a callback URL given."""
    assert (await channels["app"].post(order())).status == 201


async def test_an_order_stored_before_its_host_was_delisted_gets_its_first_answer_again(
    store: SqlStore, channels: dict[str, Channel], aiohttp_server: ServerFactory
) -> None:
    """The client's hosts change after an order was taken: sent again, the same order answers what it
    did the first time (201, the same receipt), while a new order naming that host is refused."""
    first = await channels["hall"].post(order(callback_url="https://hall.example/hook"))
    hall = HOSTS.clients["hall"].model_copy(update={"callback_hosts": ()})
    delisted = HOSTS.model_copy(update={"clients": {**HOSTS.clients, "hall": hall}})
    clock = ServerClock()
    clock.later(5)  # signed later: another signature than the first send's
    server = await aiohttp_server(make_api_app(ApiContext(delisted, store.api_orders, clock)))
    async with aiohttp.ClientSession() as http:
        now = Channel(http, str(server.make_url("")).rstrip("/"), "hall-1", "s1", clock)
        again = await now.post(order(callback_url="https://hall.example/hook"))
        other = await now.post(order("H2", callback_url="https://hall.example/hook"))
    assert (again.status, again.body) == (first.status, first.body)
    assert (other.status, other.code) == (422, "API_CALLBACK_HOST")
