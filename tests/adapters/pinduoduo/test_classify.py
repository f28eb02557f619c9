"""The one error table: each platform answer, what the caller must do, and what a write risks."""

from __future__ import annotations

import pytest

from adapters.pinduoduo.classify import classify
from bridge.core.errors import Ambiguous, ConfigError, Permanent, RateLimited, Retryable, Unavailable

# (error_code, sub_code, error_msg, sub_msg) → (class for a read, class for a write, code)
TABLE = [
    ((70031, None, "调用过于频繁，请调整调用频率", None), RateLimited, RateLimited, "PDD_RATE_LIMITED"),
    ((70032, None, "调用过于频繁，请调整调用频率", None), RateLimited, RateLimited, "PDD_RATE_LIMITED"),
    ((52101, None, "当前接口被限流，请稍后重试", None), RateLimited, RateLimited, "PDD_RATE_LIMITED"),
    ((10019, None, "access_token已过期", None), Permanent, Permanent, "PDD_ACCESS_TOKEN_EXPIRED"),
    ((10035, None, "access_token已过期", None), Permanent, Permanent, "PDD_ACCESS_TOKEN_EXPIRED"),
    ((20032, None, "access_token或client_id错误", None), Permanent, Permanent, "PDD_ACCESS_TOKEN_INVALID"),
    ((10014, None, "授权已被取消", None), Permanent, Permanent, "PDD_ACCESS_TOKEN_INVALID"),
    (
        (10001, None, "公共参数错误", "timestamp is 11 minutes off"),
        ConfigError,
        ConfigError,
        "PDD_CLOCK_SKEW",
    ),
    ((20004, None, "签名sign校验失败", None), ConfigError, ConfigError, "PDD_SIGNATURE_INVALID"),
    ((10016, None, "client_id不正确", None), ConfigError, ConfigError, "PDD_CLIENT_INVALID"),
    ((20005, None, "ip无权访问接口", None), ConfigError, ConfigError, "PDD_IP_NOT_ALLOWED"),
    ((20031, None, "用户没有授权访问此接口", None), ConfigError, ConfigError, "PDD_PERMISSION_DENIED"),
    ((50012, None, "此API已下线", None), ConfigError, ConfigError, "PDD_API_OFFLINE"),
    ((70034, None, "当前用户存在风险", None), Permanent, Permanent, "PDD_CALLER_AT_RISK"),
    ((52103, None, "服务暂时不可用，请稍后重试", None), Unavailable, Unavailable, "PDD_UNAVAILABLE"),
    ((70033, None, "当前接口因系统维护，暂时下线", None), Unavailable, Unavailable, "PDD_UNAVAILABLE"),
    ((50000, None, "系统内部错误", None), Retryable, Ambiguous, "PDD_SYSTEM_ERROR"),
    (
        (50001, "isv.logistics-service-error:100", "业务服务错误", "服务异常"),
        Retryable,
        Ambiguous,
        "isv.logistics-service-error:100",
    ),
    (
        (50001, "isv.business-error:X", "业务服务错误", "订单已发货，请勿重复发货"),
        Permanent,
        Permanent,
        "PDD_ALREADY_SHIPPED",
    ),
    (
        (10000, "isv.invalid-parameter:order_sn", "参数错误", "订单不存在"),
        Permanent,
        Permanent,
        "PDD_INVALID_PARAMS",
    ),
    ((20007, None, "缺少必填请求参数", None), Permanent, Permanent, "PDD_INVALID_PARAMS"),
    (
        (50001, "isv.business-error:Y", "业务服务错误", "订单售后中，不能发货"),
        Permanent,
        Permanent,
        "isv.business-error:Y",
    ),
    ((60000, None, "unheard of", None), Permanent, Permanent, "PDD_60000"),
]


@pytest.mark.parametrize(
    ("answer", "read_kind", "write_kind", "code"), TABLE, ids=[str(row[0][:2]) for row in TABLE]
)
def test_each_answer_maps_to_what_the_caller_must_do(
    answer: tuple[int, str | None, str, str | None], read_kind: type, write_kind: type, code: str
) -> None:
    """A read and a write each get the class the table names (exactly), with its code."""
    for write, kind in ((False, read_kind), (True, write_kind)):
        error = classify(*answer, write=write)
        assert type(error) is kind and error.code == code


def test_codes_may_come_as_text() -> None:
    """``"70031"`` is read as 70031."""
    assert isinstance(classify("70031", None, None, None), RateLimited)


def test_messages_keep_the_platform_words_and_codes() -> None:
    """A person reading the error sees the code and the platform's own text."""
    error = classify(10019, None, "access_token已过期", None)
    assert "10019" in error.message and "access_token已过期" in error.message
