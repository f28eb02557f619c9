"""One table: every TOP error shape and the project error it becomes."""

from __future__ import annotations

import pytest

from adapters.taobao.classify import classify
from bridge.core.errors import BridgeError, ConfigError, Permanent, RateLimited, Retryable, Unavailable

BAN = "This ban will last for 12 more seconds"
AC = "accesscontrol.limited-by-"
DUMMY = "isv.logistics-dummy-service-error:"
SESSION = "TAOBAO_SESSION_INVALID"

CASES: list[tuple[object, str | None, str | None, str | None, type[BridgeError], str, float | None]] = [
    # code, sub_code, msg, sub_msg → class, error code, retry_after
    (7, AC + "api-access-count", "App Call Limited", BAN, RateLimited, AC + "api-access-count", 12.0),
    (7, AC + "app-access-count", "App Call Limited", "quota", RateLimited, AC + "app-access-count", None),
    ("7", None, "This ban will last for 3 more seconds", None, RateLimited, "TOP_7", 3.0),
    (4, None, "User Call Limited", None, RateLimited, "TOP_4", None),
    (5, None, "Session Call Limited", None, RateLimited, "TOP_5", None),
    (6, None, "Partner Call Limited", None, RateLimited, "TOP_6", None),
    (8, None, "App Call Exceeds Limited Frequency", None, RateLimited, "TOP_8", None),
    (15, "isp.call-limited", "m", None, RateLimited, "isp.call-limited", None),
    (
        15,
        AC + "dynamic-access-count",
        "m",
        "ban will last for 1 more second",
        RateLimited,
        AC + "dynamic-access-count",
        1.0,
    ),
    (10, None, "Service Currently Unavailable", None, Unavailable, "TOP_10", None),
    (
        15,
        "isp.top-remote-connection-timeout",
        "m",
        "超时",
        Retryable,
        "isp.top-remote-connection-timeout",
        None,
    ),
    (15, "isp.unknown-error", "m", None, Retryable, "isp.unknown-error", None),
    (15, DUMMY + "S01", "m", "系统错误", Retryable, DUMMY + "S01", None),
    (
        15,
        "isv.some-business-error",
        "m",
        "系统繁忙，请稍候再次尝试",
        Retryable,
        "isv.some-business-error",
        None,
    ),
    (15, "isv.trade-not-exist", "m", "交易不存在", Permanent, "isv.trade-not-exist", None),
    (15, DUMMY + "B27", "m", None, Permanent, DUMMY + "B27", None),
    (41, "isv.invalid-parameter:flag", "m", None, Permanent, "isv.invalid-parameter:flag", None),
    (22, None, "Invalid Method", None, Permanent, "TOP_22", None),
    (27, "invalid-sessionkey", "Invalid session", "非法或过期的SessionKey参数", ConfigError, SESSION, None),
    (26, None, "Missing Session", None, ConfigError, SESSION, None),
    (15, "session-expired", "m", None, ConfigError, SESSION, None),
    (15, "session-not-exist", "m", None, ConfigError, SESSION, None),
    (15, DUMMY + "P03", "m", None, ConfigError, SESSION, None),
    (25, None, "Invalid signature", None, ConfigError, "TAOBAO_SIGNATURE_INVALID", None),
    (24, None, "Missing signature", None, ConfigError, "TAOBAO_SIGNATURE_INVALID", None),
    (28, None, "Missing App Key", None, ConfigError, "TAOBAO_APP_KEY_INVALID", None),
    (29, None, "Invalid App Key", None, ConfigError, "TAOBAO_APP_KEY_INVALID", None),
    (11, None, "Insufficient ISV Permissions", None, ConfigError, "TAOBAO_PERMISSION_DENIED", None),
    (53, None, "Insufficient security level", None, ConfigError, "TAOBAO_SECURITY_LEVEL", None),
    (31, None, "Invalid Timestamp", None, ConfigError, "TAOBAO_CLOCK_SKEW", None),
    (None, None, None, None, Permanent, "TOP_0", None),
]


@pytest.mark.parametrize(("code", "sub_code", "msg", "sub_msg", "cls", "err_code", "retry_after"), CASES)
def test_classification_table(
    code: int | str | None,
    sub_code: str | None,
    msg: str | None,
    sub_msg: str | None,
    cls: type[BridgeError],
    err_code: str,
    retry_after: float | None,
) -> None:
    """Each error shape maps to exactly the expected class, code and wait."""
    error = classify(code, sub_code, msg, sub_msg)
    assert type(error) is cls
    assert error.code == err_code
    if isinstance(error, Retryable):
        assert error.retry_after == retry_after


@pytest.mark.parametrize(
    ("code", "fix"),
    [
        (27, "BRIDGE_SHOP_SESSION"),
        (25, "BRIDGE_SHOP_APP_SECRET"),
        (29, "app_key setting"),
        (11, "permission package"),
        (53, "security level"),
        (31, "clock"),
    ],
)
def test_config_errors_say_what_to_fix(code: int, fix: str) -> None:
    """A ConfigError's message names the setting or the action that fixes it."""
    error = classify(code, None, "whatever", None)
    assert isinstance(error, ConfigError)
    assert fix in error.message
