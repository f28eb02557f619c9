"""Console accounts: argon2 password hashes, sign-in with growing delays, server-side sessions.

Used by the web console and by ``bridge users add``; an account added or changed
commits its audit entry with the change (``account_note``). What the browser holds
(a random session id) is stored only as its SHA-256 digest; a new id is made
at every sign-in (no session fixation). A sign-in try is throttled per source
address and per account before the password is even checked, and checked
through the process's ``HashGate`` (``bridge.services.login_guard``).
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from bridge.core.records import AuditNote, UserRecord
from bridge.ports import AccountStorePort
from bridge.services.login_guard import (
    QUIET,
    HashGate,
    account_delay_s,
    account_key,
    source_delay_s,
    source_key,
)

ROLES = ("cs", "admin")
"""``cs`` acts on orders; ``admin`` also edits SKU mappings and accounts."""
SESSION_TTL = timedelta(hours=12)
"""A working day: sign in once per shift."""
MIN_PASSWORD = 8
_NAME = re.compile(r"^[A-Za-z0-9._@-]{2,40}$")
_HASHER = PasswordHasher()  # stateless parameters (argon2id, library defaults), safe to share
_DUMMY_HASH = _HASHER.hash("not a real password: evens out the time of unknown names")


class AccountError(ValueError):
    """A name, role or password that cannot be accepted; ``code`` names the rule."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def session_digest(token: str) -> str:
    """What the store keeps of a session id."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def check_account(name: str, role: str, password: str) -> None:
    """Raise ``AccountError`` for an unusable name, an unknown role or a short password."""
    if not _NAME.match(name):
        raise AccountError("bad_name")
    if role not in ROLES:
        raise AccountError("bad_role")
    if len(password) < MIN_PASSWORD:
        raise AccountError("short_password")


async def add_user(
    store: AccountStorePort,
    name: str,
    role: str,
    password: str,
    now: datetime,
    audit: AuditNote | None = None,
) -> None:
    """Create an account, ``audit`` committed with it; ``AccountError("name_taken")`` when the name
    exists (nothing written)."""
    check_account(name, role, password)
    if not await store.add_user(name, role, await asyncio.to_thread(hash_password, password), now, audit):
        raise AccountError("name_taken")


def account_note(
    at: datetime, actor: str, op: str, name: str, outcome: str = "done", code: str = ""
) -> AuditNote:
    """The audit entry of an administrator's ``op`` on the account ``name`` (``code``: a refusal's)."""
    action = f"user_{op}" if op in ("add", "password", "disable", "enable", "role") else "user_change"
    return AuditNote(at, actor, action, outcome, None, {"user": name, "code": code})


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in: the user, or how long to wait, or a plain refusal."""

    user: UserRecord | None
    wait_s: float = 0.0
    throttled: bool = False  # refused without checking the password: still waiting


async def authenticate(
    store: AccountStorePort, gate: HashGate, name: str, password: str, source: str | None, now: datetime
) -> SignIn:
    """Check a name and password from the peer address ``source``, throttled per address and per
    account; an unknown name takes the same steps as a known one (a dummy hash is checked)."""
    account, address = account_key(name), source_key(source)
    next_at = now
    for key, delay_s in ((address, source_delay_s), (account, account_delay_s)):
        claimed, at = await store.claim_login_try(key, now, delay_s, now - QUIET)
        if not claimed:
            return SignIn(None, wait_s=max((at - now).total_seconds(), 1.0), throttled=True)
        next_at = max(next_at, at)
    user = await store.user_by_name(name.strip()[:80])
    ok = await gate.run(verify_password, user.password_hash if user else _DUMMY_HASH, password)
    if ok is None:  # too many checks already waiting: the cost of a spray stays bounded
        return SignIn(None, wait_s=1.0, throttled=True)
    if user is None or user.disabled or not ok:
        return SignIn(None, wait_s=(next_at - now).total_seconds())
    await store.login_succeeded(account, address)
    return SignIn(user)


async def start_session(store: AccountStorePort, user: UserRecord, now: datetime) -> tuple[str, str]:
    """A fresh session for ``user``: (the id for the cookie, the CSRF token for forms)."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    await store.create_session(user.id, session_digest(token), csrf, now, now + SESSION_TTL)
    return token, csrf
