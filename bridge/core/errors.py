"""The project's one error tree, grouped by what the caller must do.

Adapters translate every library and remote error into one of these at the
boundary, and the store its database's (``bridge.store.errors``), so services
never see aiohttp, SQL or wire-level errors::

    BridgeError
    ├── Retryable          back off and try again (honour ``retry_after``)
    │   ├── RateLimited    too many calls / in flight (429, TOP code 7)
    │   ├── Unavailable    closed for maintenance or unreachable (503, refused)
    │   └── StoreUnavailable  the database could not do it now (connection lost or
    │                      refused, a timeout, a lock or serialisation conflict, busy,
    │                      full); ``may_have_committed``: lost during COMMIT, so the
    │                      next try reads the store afresh (it always does)
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


class StoreUnavailable(Retryable):
    """The database could not do it now; ``code`` says why (``bridge.store.errors`` holds the table).

    The transaction was rolled back, unless ``may_have_committed``: the connection
    was lost while its COMMIT was on the way, so it may have committed. The caller
    does the same either way: try again later, from what the store holds then.
    Every write is a compare-and-set on the state it comes from or an
    insert-or-ignore, so a transaction that did commit is found done (the write is
    refused or changes nothing), never done twice. Not an ``Unavailable``: the
    billing core's breaker must not open because the database hiccuped.
    """

    def __init__(self, message: str, *, code: str = "", may_have_committed: bool = False) -> None:
        super().__init__(message, code=code)
        self.may_have_committed = may_have_committed


class Permanent(BridgeError):
    """The remote side refused for a reason retrying will not change."""


class Ambiguous(BridgeError):
    """The call may or may not have taken effect (timeout, dropped connection)."""


class ConfigError(BridgeError):
    """Configuration or credentials are wrong; a person must fix them."""
