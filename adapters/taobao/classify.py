"""Map a TOP ``error_response`` onto the project's error tree, by one table.

The gateway reports everything as ``code`` / ``sub_code`` (taobao-top.md
§2.4). What the caller must do depends only on those, so the decision is a
single ordered table read top to bottom: call limits first (they may carry an
``isp.`` sub-code), then credentials and configuration, then ``isp.*``
(retry) and ``isv.*`` (a person decides). Messages never include a secret,
a session key or a signature: they are built from the codes alone plus the
remote's own texts.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from bridge.core.errors import BridgeError, ConfigError, Permanent, RateLimited, Retryable, Unavailable
from bridge.core.outcomes import SESSION_INVALID_CODE

_BAN = re.compile(r"ban will last for (\d+) more seconds?", re.IGNORECASE)
_CALL_LIMIT_CODES = frozenset({4, 5, 6, 7, 8})
_SESSION_SUB_CODES = frozenset({"invalid-sessionkey", "session-expired", "session-not-exist"})
_BUSY_TEXTS = ("系统错误，请稍后再试", "系统繁忙，请稍候再次尝试")


@dataclass(frozen=True)
class _Err:
    code: int
    sub_code: str
    msg: str
    sub_msg: str

    @property
    def text(self) -> str:
        """The remote's own explanation, for messages."""
        parts = [p for p in (self.msg, self.sub_msg) if p]
        return " / ".join(parts) if parts else "no message"


def _retry_after(err: _Err) -> float | None:
    match = _BAN.search(err.sub_msg) or _BAN.search(err.msg)
    return float(match.group(1)) if match else None


def _config(code: str, what: str) -> Callable[[_Err], BridgeError]:
    def build(err: _Err) -> BridgeError:
        return ConfigError(f"{what} (TOP code {err.code} {err.sub_code}: {err.text})".strip(), code=code)

    return build


def _rate_limited(err: _Err) -> BridgeError:
    return RateLimited(
        f"the marketplace limits our calls: {err.text}",
        code=err.sub_code or f"TOP_{err.code}",
        retry_after=_retry_after(err),
    )


def _retryable(err: _Err) -> BridgeError:
    cls = Unavailable if err.code == 10 and not err.sub_code else Retryable
    return cls(
        f"marketplace-side failure, try again later: {err.text}", code=err.sub_code or f"TOP_{err.code}"
    )


def _permanent(err: _Err) -> BridgeError:
    return Permanent(f"the marketplace refused the call: {err.text}", code=err.sub_code or f"TOP_{err.code}")


_Rule = tuple[Callable[[_Err], bool], Callable[[_Err], BridgeError]]

_RULES: tuple[_Rule, ...] = (
    (
        lambda e: (
            e.code in _CALL_LIMIT_CODES
            or e.sub_code.startswith("accesscontrol.")
            or e.sub_code == "isp.call-limited"
        ),
        _rate_limited,
    ),
    (
        lambda e: e.code in (26, 27) or e.sub_code in _SESSION_SUB_CODES or e.sub_code.endswith(":P03"),
        _config(
            SESSION_INVALID_CODE,
            "the shop's session key is missing, invalid or expired: the seller must re-authorise the "
            "app, then put the new key in the environment variable named by the shop's session_env "
            "setting (BRIDGE_SHOP_SESSION by default) and restart",
        ),
    ),
    (
        lambda e: e.code in (24, 25),
        _config(
            "TAOBAO_SIGNATURE_INVALID",
            "the marketplace rejected the request signature: check that the app secret in the "
            "environment variable named by the shop's app_secret_env setting (BRIDGE_SHOP_APP_SECRET "
            "by default) belongs to the shop's app_key, and that sign_method is md5, hmac or hmac-sha256",
        ),
    ),
    (
        lambda e: e.code in (28, 29),
        _config(
            "TAOBAO_APP_KEY_INVALID",
            "the marketplace does not accept the app key: check the shop's app_key setting",
        ),
    ),
    (
        lambda e: e.code in (11, 12, 13),
        _config(
            "TAOBAO_PERMISSION_DENIED",
            "the app or the shop lacks the permission for this API: add the API's permission package "
            "to the app in the developer console and have the seller re-authorise it",
        ),
    ),
    (
        lambda e: e.code == 53,
        _config(
            "TAOBAO_SECURITY_LEVEL",
            "the app's security level is too low for this call: refresh the shop's authorisation "
            "or raise the app's security level in the developer console",
        ),
    ),
    (
        lambda e: e.code in (30, 31),
        _config(
            "TAOBAO_CLOCK_SKEW",
            "the marketplace rejected the request timestamp: this host's clock must be within "
            "10 minutes of China Standard Time; fix its time synchronisation (NTP)",
        ),
    ),
    (
        lambda e: (
            e.code == 10
            or e.sub_code.startswith("isp.")
            or e.sub_code.endswith(":S01")
            or any(t in e.sub_msg for t in _BUSY_TEXTS)
        ),
        _retryable,
    ),
    (lambda e: e.sub_code.startswith("isv."), _permanent),
    (lambda e: True, _permanent),
)


def _as_int(code: int | str | None) -> int:
    if isinstance(code, int):
        return code
    text = (code or "").strip()
    return int(text) if text.isdigit() else 0


def classify(
    code: int | str | None, sub_code: str | None, msg: str | None, sub_msg: str | None
) -> BridgeError:
    """The project error for one TOP ``error_response`` (``code`` may be a string)."""
    err = _Err(_as_int(code), (sub_code or "").strip(), (msg or "").strip(), (sub_msg or "").strip())
    for matches, build in _RULES:
        if matches(err):
            return build(err)
    raise AssertionError("unreachable: the last rule matches everything")  # pragma: no cover
