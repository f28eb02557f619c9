"""The project's one error tree, grouped by what the caller must do.

Adapters translate every library and remote error into one of these at the
boundary, so services never see aiohttp, SQL or wire-level errors::

    BridgeError
    ├── Retryable          back off and try again (honour ``retry_after``)
    │   ├── RateLimited    too many calls / in flight (429, TOP code 7)
    │   └── Unavailable    closed for maintenance or unreachable (503, refused)
    ├── Permanent          a person decides; ``code`` says why (isv.*, 4xx)
    ├── Ambiguous          no answer: the operation may have been applied;
    │                      reconcile by request_id before anything else
    └── ConfigError        refuse to start; names the file / key and the reason
"""

from __future__ import annotations


class BridgeError(Exception):
    """Base of every error the project raises on purpose."""

    def __init__(self, message: str, *, code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return f"{self.code}: {self.message}" if self.code else self.message


class Retryable(BridgeError):
    """Transient failure: nothing was applied; try again later."""

    def __init__(self, message: str, *, code: str = "", retry_after: float | None = None) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after


class RateLimited(Retryable):
    """The remote side asks us to slow down."""


class Unavailable(Retryable):
    """The remote side is closed (maintenance window) or cannot be reached."""


class Permanent(BridgeError):
    """The remote side refused for a reason retrying will not change."""


class Ambiguous(BridgeError):
    """The call may or may not have taken effect (timeout, dropped connection)."""


class ConfigError(BridgeError):
    """Configuration or credentials are wrong; a person must fix them."""
