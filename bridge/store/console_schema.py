"""Tables of the console: people, their sessions, login throttling and the audit log.

Defined on the store's one ``metadata`` so ``open_store`` creates them with the
rest. Nothing that opens a session is stored in the clear: passwords are
argon2 hashes and session ids are kept as SHA-256 digests of what the browser
holds (a stolen database does not open a session; a CSRF token alone is useless).

- ``users``          one row per person (unique name), role ``cs`` or ``admin``
- ``sessions``       one row per signed-in browser: digest of the cookie, CSRF token, expiry
- ``login_throttle`` sign-in tries per key (``name:`` an account, ``addr:`` a source address; migration
                     0008): failures counted, when the next try may start, when the last one did
- ``audit_log``      every console or CLI action: who, when, before → after, note, outcome; a bulk
                     action's entries share its ``batch`` (migration 0005): one header row (no line)
                     and one row per line
- ``queue_batches``  a bulk action on the queue: the confirmation token, the lines counted when it
                     was offered (the filter's snapshot), the filter, and when it was acted on (once)
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint

from bridge.store.schema import ORDER_ID, JsonText, UtcDateTime, metadata

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(80), nullable=False),
    Column("role", String(8), nullable=False),  # cs | admin
    Column("password_hash", Text, nullable=False),
    Column("disabled", Integer, nullable=False, default=0),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("name", name="uq_users_name"),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Index("ix_sessions_user", "user_id"),
)

login_throttle = Table(
    "login_throttle",
    metadata,
    Column("key", String(120), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("next_allowed_at", UtcDateTime, nullable=False),
    Column("seen_at", UtcDateTime, nullable=False),  # the last claimed try: quiet keys are forgotten
    Index("ix_login_throttle_seen", "seen_at"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UtcDateTime, nullable=False),
    Column("actor", String(80), nullable=False),
    Column("action", String(40), nullable=False),
    Column("outcome", String(12), nullable=False),  # done | unchanged | refused
    Column("shop", String(16)),
    Column("tid", ORDER_ID),
    Column("oid", ORDER_ID),
    Column("line_id", Integer),
    Column("before", String(40)),
    Column("after", String(40)),
    Column("note", Text),
    Column("detail", JsonText),
    Column("batch", String(32)),  # migration 0005: the bulk action this entry belongs to
    Index("ix_audit_at", "at"),
    Index("ix_audit_tid", "tid"),
    Index("ix_audit_actor", "actor"),
    Index("ix_audit_batch", "batch"),
)

queue_batches = Table(
    "queue_batches",
    metadata,
    Column("id", String(32), primary_key=True),  # the confirmation token, also the audit batch id
    Column("action", String(16), nullable=False),  # retry | resolve | cancel
    Column("actor", String(80), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("started_at", UtcDateTime),  # set once, by the confirmation that acts
    Column("filter", JsonText, nullable=False),  # the queue's filter as the person saw it
    Column("line_ids", JsonText, nullable=False),  # the lines counted (oldest first)
)
