"""The store's role for console accounts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from bridge.core.records import (
    AuditNote,
    UserRecord,
)


class AccountStorePort(Protocol):
    """Console accounts: users, sessions, the login throttle."""

    async def add_user(
        self, name: str, role: str, password_hash: str, now: datetime, audit: AuditNote | None = None
    ) -> bool:
        """False when the name is taken; ``audit`` is written with the new user, in its transaction."""
        ...

    async def update_user(
        self,
        name: str,
        now: datetime,
        *,
        role: str | None = None,
        password_hash: str | None = None,
        disabled: bool | None = None,
        audit: AuditNote | None = None,
    ) -> bool:
        """False when there is no such user; ``audit`` is written with the change, in its transaction."""
        ...

    async def user_by_name(self, name: str) -> UserRecord | None: ...

    async def all_users(self) -> list[UserRecord]: ...

    async def create_session(
        self, user_id: int, id_hash: str, csrf: str, now: datetime, expires_at: datetime
    ) -> None: ...

    async def session_user(self, id_hash: str, now: datetime) -> tuple[UserRecord, str] | None: ...

    async def end_session(self, id_hash: str) -> None: ...

    async def claim_login_try(
        self, key: str, now: datetime, delay_s: Callable[[int], float], quiet_since: datetime
    ) -> tuple[bool, datetime]:
        """(True, when the next may start) when this try of ``key`` is claimed (one winner among
        concurrent tries, on any number of instances), counted as a failure until ``login_succeeded``;
        else (False, when the key may try again)."""
        ...

    async def login_succeeded(self, account_key: str, source_key: str) -> None: ...
