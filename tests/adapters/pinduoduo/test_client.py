"""What the Pinduoduo client adds to the platform's answers, beyond the contract suite."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from adapters.pinduoduo import PinduoduoClient
from adapters.pinduoduo.sandbox import NewItem, RunningSandbox
from bridge.core.errors import ConfigError, Permanent
from bridge.core.models import CST

CARD = "8371000011112222"
MakeClient = Callable[..., PinduoduoClient]


def _place(running: RunningSandbox) -> str:
    return running.sandbox.place([NewItem("RC-50", "充值50元", 5000)], account=CARD).order_sn


async def test_card_codes_are_refused_before_anything_is_sent(
    running: RunningSandbox, make_client: MakeClient
) -> None:
    """The platform's delivery carries no card codes: refusing beats delivering without them."""
    sn = _place(running)
    with pytest.raises(Permanent) as caught:
        await make_client().deliver(sn, {"1": ["CODE-1"]})
    assert caught.value.code == "PDD_DELIVERY_CODES_UNSUPPORTED"
    assert running.sandbox.book.get(sn).send_calls == 0


async def test_an_order_without_virtual_fields_has_no_customization(
    running: RunningSandbox, make_client: MakeClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A parameter refusal of the virtual method means "not a virtual order": no buyer text."""
    client = make_client()
    sn = _place(running)
    real = client._gateway.call

    async def no_virtual(method: str, params: Any, *, write: bool = False) -> dict[str, Any]:
        if method == "pdd.order.virtual.information.get":
            raise Permanent("not a virtual order", code="PDD_INVALID_PARAMS")
        return await real(method, params, write=write)

    monkeypatch.setattr(client._gateway, "call", no_virtual)
    assert (await client.get_trade(sn)).lines[0].customization is None


async def test_other_refusals_of_the_virtual_method_are_raised(
    running: RunningSandbox, make_client: MakeClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only "not a virtual order" is quiet: a lapsed token is not."""
    client = make_client()
    sn = _place(running)
    real = client._gateway.call

    async def expired(method: str, params: Any, *, write: bool = False) -> dict[str, Any]:
        if method == "pdd.order.virtual.information.get":
            raise Permanent("expired", code="PDD_ACCESS_TOKEN_EXPIRED")
        return await real(method, params, write=write)

    monkeypatch.setattr(client._gateway, "call", expired)
    with pytest.raises(Permanent, match="expired"):
        await client.get_trade(sn)


async def test_a_refused_delivery_of_an_unshipped_order_stays_refused(
    running: RunningSandbox, make_client: MakeClient
) -> None:
    """After-sales under way: the refusal is raised, not taken for "already shipped"."""
    sn = _place(running)
    running.sandbox.book.refund(sn, "requested")
    with pytest.raises(Permanent) as caught:
        await make_client().deliver(sn)
    assert "售后" in caught.value.message


async def test_listing_further_back_than_three_months_is_refused(make_client: MakeClient) -> None:
    """The platform would answer nothing for it: that is a caller's mistake, said at once."""
    start = datetime.now(CST) - timedelta(days=91)
    with pytest.raises(ValueError, match="90 days"):
        async for _ in make_client().list_pages(start, start + timedelta(minutes=1)):
            pass


async def test_a_host_clock_ten_minutes_off_is_a_configuration_error(make_client: MakeClient) -> None:
    """The platform refuses timestamps more than 10 minutes off: fix NTP, a person must act."""
    client = make_client(clock=lambda: time.time() - 11 * 60)
    with pytest.raises(ConfigError) as caught:
        await client.server_time()
    assert caught.value.code == "PDD_CLOCK_SKEW"


async def test_a_wrong_secret_is_a_configuration_error(make_client: MakeClient) -> None:
    """The sandbox checks the real signature: a wrong secret is refused with 20004."""
    with pytest.raises(ConfigError) as caught:
        await make_client(client_secret="wrong").server_time()
    assert caught.value.code == "PDD_SIGNATURE_INVALID"


def test_the_client_never_shows_its_credentials(make_client: MakeClient) -> None:
    """repr holds no secret and no token."""
    shown = repr(make_client())
    assert "sandbox-secret" not in shown and "sandbox-token" not in shown


def test_missing_credentials_refuse_to_start(make_client: MakeClient) -> None:
    """An empty token is a configuration error naming the keys."""
    with pytest.raises(ConfigError, match="access_token"):
        make_client(access_token="")


async def test_a_clear_already_shipped_answer_needs_no_second_look(
    running: RunningSandbox, make_client: MakeClient
) -> None:
    """ "订单已发货" is trusted as it is: the order is not read again to check."""
    sn = _place(running)
    client = make_client()
    await client.deliver(sn)
    reads = running.sandbox.stats.calls["pdd.order.information.get"]
    await client.deliver(sn)
    assert running.sandbox.stats.calls["pdd.order.information.get"] == reads
