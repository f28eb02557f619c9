"""``TaobaoClient`` failure handling against the sandbox: credentials, limits, retries, timeouts."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from structlog.testing import capture_logs

from adapters.taobao import TaobaoClient
from adapters.taobao.sandbox import TaobaoSandbox
from bridge.core.errors import Ambiguous, ConfigError, RateLimited, Retryable, Unavailable
from bridge.core.trades import Severity

from .helpers import APP_SECRET, SESSION_KEY, Shopper

MakeClient = Callable[..., TaobaoClient]


async def test_wrong_secret_is_a_config_error(make_client: MakeClient) -> None:
    """The sandbox answers 25; the client says which setting to check, not the secret."""
    with pytest.raises(ConfigError) as caught:
        await make_client(app_secret="not-the-secret").server_time()
    assert caught.value.code == "TAOBAO_SIGNATURE_INVALID"
    assert "not-the-secret" not in str(caught.value)


@pytest.mark.parametrize("sign_method", ["md5", "hmac", "hmac-sha256"])
async def test_every_sign_method_is_accepted(make_client: MakeClient, sign_method: str) -> None:
    """The sandbox verifies all three methods the client can sign with."""
    assert (await make_client(sign_method=sign_method).server_time()).tzinfo is not None


async def test_invalid_session_is_a_clear_config_error(make_client: MakeClient, shopper: Shopper) -> None:
    """Code 27 becomes ConfigError telling to re-authorise, without the session key in it."""
    placed = await shopper.place()
    with pytest.raises(ConfigError) as caught:
        await make_client(session_key="expired-session-7c1f").get_trade(str(placed["tid"]))
    assert caught.value.code == "TAOBAO_SESSION_INVALID"
    assert "re-authorise" in caught.value.message
    assert "expired-session-7c1f" not in str(caught.value)


def test_unknown_sign_method_refuses_to_start(make_client: MakeClient) -> None:
    """A misspelt sign method is a ConfigError at construction."""
    with pytest.raises(ConfigError, match="sign_method"):
        make_client(sign_method="sha1")


async def test_call_limit_is_waited_out_then_succeeds(
    make_client: MakeClient, sandbox: TaobaoSandbox, sleeps: list[float]
) -> None:
    """Code 7 with "ban ... 1 more seconds" is retried after at least 1 s, then the call succeeds."""
    sandbox.update_knobs(error_rate={"call_limit": 1.0})

    async def lift_ban(seconds: float) -> None:
        sleeps.append(seconds)
        sandbox.update_knobs(error_rate={"call_limit": 0.0})

    await make_client(sleep=lift_ban).server_time()
    assert sandbox.stats.errors_injected["call_limit"] == 1
    assert len(sleeps) == 1 and 1.0 <= sleeps[0] < 1.6


async def test_call_limit_gives_up_after_max_retries(
    make_client: MakeClient, sandbox: TaobaoSandbox, sleeps: list[float]
) -> None:
    """A ban that never lifts raises RateLimited after 1 + max_retries attempts."""
    sandbox.update_knobs(error_rate={"call_limit": 1.0})
    with pytest.raises(RateLimited) as caught:
        await make_client(max_retries=2).server_time()
    assert caught.value.retry_after == 1.0
    assert sandbox.stats.errors_injected["call_limit"] == 3 and len(sleeps) == 2


async def test_long_ban_is_handed_to_the_caller(make_client: MakeClient, sandbox: TaobaoSandbox) -> None:
    """A ban longer than ``backoff_max_s`` is raised at once for the scheduler to honour."""
    sandbox.update_knobs(error_rate={"call_limit": 1.0})
    with pytest.raises(RateLimited):
        await make_client(backoff_max_s=0.5).server_time()
    assert sandbox.stats.errors_injected["call_limit"] == 1


async def test_isp_errors_are_retried(
    make_client: MakeClient, sandbox: TaobaoSandbox, sleeps: list[float]
) -> None:
    """Injected ``isp.*`` failures back off exponentially and are retried until one passes."""
    sandbox.update_knobs(error_rate={"isp": 0.6})
    for _ in range(5):
        await make_client(max_retries=20).server_time()
    assert sandbox.stats.errors_injected["isp"] == len(sleeps) > 0
    assert all(0 <= s <= 30 for s in sleeps)


async def test_rate_limit_with_real_waits(make_client: MakeClient, sandbox: TaobaoSandbox) -> None:
    """Over 2 calls/s the sandbox answers code 7; the client really sleeps and gets through."""
    sandbox.update_knobs(rate_limit_per_s=2)
    client = make_client(sleep=None, backoff_base_s=0.05)
    for _ in range(4):
        await client.server_time()
    assert sandbox.stats.rate_limited >= 1


async def test_logs_never_carry_credentials(
    make_client: MakeClient, shopper: Shopper, sandbox: TaobaoSandbox
) -> None:
    """Calls, retries and errors log nothing of the secret, the session key or a signature."""
    placed = await shopper.paid_trade()
    sandbox.update_knobs(error_rate={"isp": 0.5})
    client = make_client(max_retries=20)
    with capture_logs() as logs:
        await client.get_trade(str(placed["tid"]))
        await client.deliver(str(placed["tid"]))
        await client.deliver(str(placed["tid"]))
        with pytest.raises(ConfigError):
            await make_client(session_key="wrong-session").get_trade(str(placed["tid"]))
    text = repr(logs)
    assert logs and all(s not in text for s in (APP_SECRET, SESSION_KEY, "wrong-session", "sign="))
    assert "sign" not in {key for entry in logs for key in entry}
    assert APP_SECRET not in repr(client) and SESSION_KEY not in repr(client)


async def test_timeout_on_delivery_is_ambiguous(
    make_client: MakeClient, shopper: Shopper, sandbox: TaobaoSandbox
) -> None:
    """No answer to dummy.send may mean it shipped: Ambiguous, never retried."""
    placed = await shopper.paid_trade()
    sandbox.update_knobs(latency_ms=[200, 200])
    with pytest.raises(Ambiguous):
        await make_client(timeout_s=0.05).deliver(str(placed["tid"]))
    with pytest.raises(Ambiguous):
        await make_client(timeout_s=0.05).annotate(placed["tid"], "x", Severity.ACT)


async def test_timeout_on_a_read_is_retryable(
    make_client: MakeClient, sandbox: TaobaoSandbox, sleeps: list[float]
) -> None:
    """A read that times out is retried, then raised as Retryable."""
    sandbox.update_knobs(latency_ms=200)
    with pytest.raises(Retryable) as caught:
        await make_client(timeout_s=0.05, max_retries=1).server_time()
    assert caught.value.code == "TOP_TIMEOUT" and len(sleeps) == 1


async def test_unreachable_marketplace_is_unavailable(make_client: MakeClient) -> None:
    """Connection refused is Unavailable even for a write: nothing was sent."""
    client = make_client(url="http://127.0.0.1:9/router/rest", max_retries=0)
    with pytest.raises(Unavailable):
        await client.deliver("1")
