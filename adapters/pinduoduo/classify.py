"""Map a Pinduoduo ``error_response`` onto the project's error tree, by one table.

The gateway reports every failure as HTTP 200 with ``error_response``:
``error_code`` (a number), ``error_msg``, and for business errors a
``sub_code`` / ``sub_msg`` (docs/storefronts/pinduoduo.md §4). What the
caller must do depends only on those, so the decision is one ordered table
read top to bottom; each row also says whether a *write* answered so may
have taken effect (then a write gets ``Ambiguous``: reconcile, never resend
blind). Messages carry the codes and the platform's own texts, never a
secret, a token or a signature.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bridge.core.errors import (
    Ambiguous,
    BridgeError,
    ConfigError,
    Permanent,
    RateLimited,
    Retryable,
    Unavailable,
)

TOKEN_EXPIRED = "PDD_ACCESS_TOKEN_EXPIRED"
TOKEN_INVALID = "PDD_ACCESS_TOKEN_INVALID"
ALREADY_SHIPPED = "PDD_ALREADY_SHIPPED"
RATE_LIMITED = "PDD_RATE_LIMITED"
INVALID_PARAMS = "PDD_INVALID_PARAMS"
_SHIPPED_TEXTS = ("已发货", "已经发货", "重复发货")


@dataclass(frozen=True)
class PddErr:
    """One ``error_response``, normalised."""

    code: int
    sub_code: str
    msg: str
    sub_msg: str

    @property
    def text(self) -> str:
        """The platform's own explanation, for messages."""
        parts = [p for p in (self.msg, self.sub_msg) if p]
        return " / ".join(parts) if parts else "no message"


@dataclass(frozen=True)
class Rule:
    """One row: which errors, what the caller must do, and whether a write may have happened."""

    matches: Callable[[PddErr], bool]
    kind: type[BridgeError]
    code: str  # "" keeps the platform's sub_code (or PDD_<error_code>)
    write_may_apply: bool
    what: str


def _codes(*codes: int) -> Callable[[PddErr], bool]:
    return lambda e: e.code in codes


RULES: tuple[Rule, ...] = (
    Rule(_codes(70031, 70032), RateLimited, RATE_LIMITED, False, "the platform limits our calls"),
    Rule(_codes(52101), RateLimited, RATE_LIMITED, False, "this API is being throttled"),
    Rule(
        _codes(10019, 10035),
        Permanent,
        TOKEN_EXPIRED,
        False,
        "the shop's access_token has expired: refresh it or have the seller authorise the app again",
    ),
    Rule(
        _codes(10014, 20032),
        Permanent,
        TOKEN_INVALID,
        False,
        "the shop's access_token is wrong or its authorisation was cancelled: authorise again",
    ),
    Rule(
        lambda e: e.code == 10001 and "timestamp" in (e.msg + e.sub_msg).lower(),
        ConfigError,
        "PDD_CLOCK_SKEW",
        False,
        "the platform rejected the timestamp: this host's clock must be within 10 minutes of the "
        "platform's (fix NTP)",
    ),
    Rule(
        _codes(20004),
        ConfigError,
        "PDD_SIGNATURE_INVALID",
        False,
        "the platform rejected the signature: check the shop's client_secret belongs to its client_id",
    ),
    Rule(
        _codes(10010, 10011, 10016),
        ConfigError,
        "PDD_CLIENT_INVALID",
        False,
        "the platform does not know or has rejected the app: check the shop's client_id",
    ),
    Rule(
        _codes(20005), ConfigError, "PDD_IP_NOT_ALLOWED", False, "add this host's IP to the app's whitelist"
    ),
    Rule(
        _codes(20031),
        ConfigError,
        "PDD_PERMISSION_DENIED",
        False,
        "the app lacks this API's permission package: add it in the developer console",
    ),
    Rule(_codes(50012), ConfigError, "PDD_API_OFFLINE", False, "the platform has taken this API offline"),
    Rule(_codes(70034), Permanent, "PDD_CALLER_AT_RISK", False, "the platform blocks this caller as risky"),
    Rule(_codes(52102, 52103, 70033), Unavailable, "PDD_UNAVAILABLE", False, "the API is down for now"),
    Rule(_codes(50000), Retryable, "PDD_SYSTEM_ERROR", True, "platform-side failure"),
    Rule(
        lambda e: any(t in e.msg + e.sub_msg for t in _SHIPPED_TEXTS),
        Permanent,
        ALREADY_SHIPPED,
        False,
        "the order is already shipped",
    ),
    Rule(
        lambda e: e.sub_code.startswith("isv.") and "-service-error" in e.sub_code,
        Retryable,
        "",
        True,
        "platform service error, try again",
    ),
    Rule(
        lambda e: e.code in (10000, 10001, 10002, 20007) or e.sub_code.startswith("isv.invalid-parameter"),
        Permanent,
        INVALID_PARAMS,
        False,
        "the platform refused the parameters",
    ),
    Rule(lambda e: True, Permanent, "", False, "the platform refused the call"),
)


def _as_int(code: int | str | None) -> int:
    if isinstance(code, int) and not isinstance(code, bool):
        return code
    text = str(code or "").strip()
    return int(text) if text.isdigit() else 0


def rule_for(err: PddErr) -> Rule:
    """The first row that matches (the last matches everything)."""
    return next(rule for rule in RULES if rule.matches(err))


def classify(
    code: int | str | None,
    sub_code: str | None,
    msg: str | None,
    sub_msg: str | None,
    *,
    write: bool = False,
) -> BridgeError:
    """The project error for one ``error_response`` of a read, or of a write with ``write``."""
    err = PddErr(_as_int(code), str(sub_code or "").strip(), (msg or "").strip(), (sub_msg or "").strip())
    rule = rule_for(err)
    code_out = rule.code or err.sub_code or f"PDD_{err.code}"
    codes = " ".join(str(part) for part in (err.code, err.sub_code) if part)
    message = f"{rule.what} (error_code {codes}: {err.text})"
    if write and rule.write_may_apply:
        return Ambiguous(f"{message}; the platform may have applied it", code=code_out)
    return rule.kind(message, code=code_out)
