"""People, their sessions and the login throttle, as rows (hashing is ``bridge.services.accounts``' job).

Session ids reach this module already hashed: the store never sees the value
the browser holds. A user is unique by name (a constraint, never
select-then-insert). An administrator's change commits its audit entry with it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bridge.core.records import AuditNote, UserRecord
from bridge.store.audit import insert_audit
from bridge.store.console_schema import login_throttle, sessions, users
from bridge.store.rows import user_record
from bridge.store.schema import insert_ignore


class AccountRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def add_user(
        self, name: str, role: str, password_hash: str, now: datetime, audit: AuditNote | None = None
    ) -> bool:
        """Create a user; False when the name is taken. ``audit`` commits with the new user."""
        async with self._engine.begin() as conn:
            res = await conn.execute(
                insert_ignore(conn, users, ["name"]).values(
                    name=name,
                    role=role,
                    password_hash=password_hash,
                    disabled=0,
                    created_at=now,
                    updated_at=now,
                )
            )
            if res.rowcount:
                await insert_audit(conn, audit)
        return bool(res.rowcount)

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
        """Change a user's role, password or status; their sessions end when any changes; False when
        there is no such user. ``audit`` commits with the change."""
        values: dict[str, object] = {"updated_at": now}
        if role is not None:
            values["role"] = role
        if password_hash is not None:
            values["password_hash"] = password_hash
        if disabled is not None:
            values["disabled"] = int(disabled)
        async with self._engine.begin() as conn:
            user_id = (await conn.execute(select(users.c.id).where(users.c.name == name))).scalar()
            if user_id is None:
                return False
            await conn.execute(users.update().where(users.c.id == user_id).values(**values))
            await conn.execute(delete(sessions).where(sessions.c.user_id == user_id))
            await insert_audit(conn, audit)
        return True

    async def user_by_name(self, name: str) -> UserRecord | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(users).where(users.c.name == name))).first()
        return user_record(row._mapping) if row is not None else None

    async def all_users(self) -> list[UserRecord]:
        async with self._engine.connect() as conn:
            rows = (await conn.execute(select(users).order_by(users.c.name))).all()
        return [user_record(r._mapping) for r in rows]

    async def create_session(
        self, user_id: int, id_hash: str, csrf: str, now: datetime, expires_at: datetime
    ) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(delete(sessions).where(sessions.c.expires_at < now))
            await conn.execute(
                sessions.insert().values(
                    id_hash=id_hash, user_id=user_id, csrf=csrf, created_at=now, expires_at=expires_at
                )
            )

    async def session_user(self, id_hash: str, now: datetime) -> tuple[UserRecord, str] | None:
        """The signed-in user and the session's CSRF token, or None (unknown, expired, disabled)."""
        query = (
            select(users, sessions.c.csrf)
            .select_from(sessions.join(users, users.c.id == sessions.c.user_id))
            .where(and_(sessions.c.id_hash == id_hash, sessions.c.expires_at > now, users.c.disabled == 0))
        )
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return (user_record(row._mapping), str(row.csrf)) if row is not None else None

    async def end_session(self, id_hash: str) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(delete(sessions).where(sessions.c.id_hash == id_hash))

    async def claim_login_try(
        self, key: str, now: datetime, delay_s: Callable[[int], float], quiet_since: datetime
    ) -> tuple[bool, datetime]:
        """Claim the next sign-in try of ``key`` by one compare-and-set: (True, when the next may
        start) when claimed, else (False, when the key may try again). A claimed try counts as a
        failure (the next waits ``delay_s(failures)``) until ``login_succeeded``; of concurrent
        claims on one row one wins. A key quiet since before ``quiet_since`` starts again from
        nothing, and quiet rows are deleted when a new key comes (the table keeps that window)."""
        where = login_throttle.c.key == key
        async with self._engine.begin() as conn:
            row = (await conn.execute(select(login_throttle).where(where))).first()
            if row is None:
                await conn.execute(delete(login_throttle).where(login_throttle.c.seen_at < quiet_since))
                allowed = now + timedelta(seconds=delay_s(1))
                res = await conn.execute(
                    insert_ignore(conn, login_throttle, ["key"]).values(
                        key=key, failures=1, next_allowed_at=allowed, seen_at=now
                    )
                )
                return (True, allowed) if res.rowcount else (False, now)  # a concurrent try took it
            if row.next_allowed_at > now:
                return False, row.next_allowed_at
            failures = 1 + (row.failures if row.seen_at >= quiet_since else 0)
            allowed = now + timedelta(seconds=delay_s(failures))
            res = await conn.execute(
                login_throttle.update()
                .where(
                    where, login_throttle.c.failures == row.failures, login_throttle.c.next_allowed_at <= now
                )
                .values(failures=failures, next_allowed_at=allowed, seen_at=now)
            )
        return (True, allowed) if res.rowcount else (False, now)

    async def login_succeeded(self, account_key: str, source_key: str) -> None:
        """The claimed try was right: the account starts again from nothing; the source's claim is
        given back (a source counts only its failures)."""
        source = login_throttle.c.key == source_key
        async with self._engine.begin() as conn:
            await conn.execute(delete(login_throttle).where(login_throttle.c.key == account_key))
            await conn.execute(
                login_throttle.update()
                .where(source, login_throttle.c.failures > 0)
                .values(failures=login_throttle.c.failures - 1)
            )
