"""Taobao's push behind the storefront port: the TMC group is the adapter's own configuration."""

from __future__ import annotations

from collections.abc import Callable

from adapters.taobao import TaobaoClient
from adapters.taobao.sandbox import TaobaoSandbox

from .helpers import Shopper

SELLER = "sandbox_c_1"


async def test_a_client_without_a_group_has_no_push(make_client: Callable[..., TaobaoClient]) -> None:
    """No group configured: the shop is polled alone."""
    assert make_client().push is None


async def test_the_push_consumes_and_confirms_in_the_configured_group(
    make_client: Callable[..., TaobaoClient], shopper: Shopper, sandbox: TaobaoSandbox
) -> None:
    """The bridge asks for messages with no group in hand: the adapter's own ``bridge`` group is read,
    its message confirmed by its text id, and nothing is left for the default group."""
    sandbox.messages.assign(SELLER, "bridge")
    tid = str((await shopper.paid_trade())["tid"])
    push = make_client(tmc_group="bridge").push
    assert push is not None
    batch = await push.consume(10)
    assert [m.tid for m in batch.messages] == [tid]
    await push.confirm([m.message_id for m in batch.messages])
    assert sandbox.messages.pending() == []
    assert len(await make_client(tmc_group="default").push.consume(10)) == 0  # type: ignore[union-attr]


async def test_the_default_group_is_read_without_naming_it(
    make_client: Callable[..., TaobaoClient], shopper: Shopper, sandbox: TaobaoSandbox
) -> None:
    """An app with no group of its own, on a gateway that refuses any group named (``default``
    included, the strictest reading of consume's page): the bridge's default configuration still
    consumes and confirms, because it leaves ``group_name`` out."""
    sandbox.messages.refuse_named_default = True
    tid = str((await shopper.paid_trade())["tid"])
    push = make_client(tmc_group="default").push
    assert push is not None
    batch = await push.consume(10)
    assert [m.tid for m in batch.messages] == [tid]
    await push.confirm([m.message_id for m in batch.messages])
    assert sandbox.messages.pending() == []
