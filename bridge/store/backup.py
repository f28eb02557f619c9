"""``bridge backup``: a consistent copy of the store that says it is a backup.

SQLite: the online backup API (a consistent copy while daemons write) into a
new file. PostgreSQL: ``pg_dump`` in plain SQL (restored with ``psql``), the
password handed over in the environment, never on the command line. Either
way the copy carries a row in ``backup_marks`` with ``taken_at``, the
database's time before the copy started, which the live database never holds:
a daemon refuses a restored copy until ``bridge recover`` has run
(``bridge.services.recovery``). ``restore_database`` is the reverse, for the
lab and the tests (an operator restores with ``sqlite3`` or ``psql``, see the
README's runbook).
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
from contextlib import closing
from datetime import datetime
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.engine import URL, make_url

from bridge.store.schema import backup_marks

_MARK = "backup"


def _sqlite_path(url: URL) -> str:
    if not url.database or url.database == ":memory:":
        raise ValueError("an in-memory SQLite database cannot be backed up")
    return url.database


def _sqlite_copy(source: str, dest: Path) -> None:
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(dest)) as dst:
        src.backup(dst)


def _mark_sqlite(dest: Path, taken_at: datetime) -> None:
    engine = create_engine(f"sqlite:///{dest}")
    try:
        with engine.begin() as conn:
            conn.execute(backup_marks.insert().values(name=_MARK, taken_at=taken_at))
    finally:
        engine.dispose()


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection string without the password, and the environment that carries it."""
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(argv: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no message"]
        raise RuntimeError(f"{argv[0]} failed ({done.returncode}): {tail[0]}")


def _pg_dump(url: URL, dest: Path, taken_at: datetime) -> None:
    dsn, env = _libpq(url)
    _run(["pg_dump", "--no-owner", "--no-privileges", "--format=plain", "--file", str(dest), dsn], env)
    with dest.open("a", encoding="utf-8") as out:  # pg_dump empties search_path: name the schema
        values = f"('{_MARK}', '{taken_at.isoformat()}')"
        out.write(f"\nINSERT INTO public.backup_marks (name, taken_at) VALUES {values};\n")


async def backup_database(dsn: str, dest: Path, taken_at: datetime) -> None:
    """Copy the store at ``dsn`` to the new file ``dest``, marked as a backup taken at ``taken_at``."""
    await asyncio.to_thread(_backup, make_url(dsn), dest, taken_at)


def _backup(url: URL, dest: Path, taken_at: datetime) -> None:
    if dest.exists():
        raise FileExistsError(f"{dest} already exists: a backup is written to a new file")
    if url.get_backend_name() == "sqlite":
        _sqlite_copy(_sqlite_path(url), dest)
        _mark_sqlite(dest, taken_at)
    else:
        _pg_dump(url, dest, taken_at)


def _pg_restore(url: URL, backup: Path) -> None:
    dsn, env = _libpq(url)
    reset = "DROP SCHEMA public CASCADE; CREATE SCHEMA public;"
    _run(["psql", "--quiet", "-v", "ON_ERROR_STOP=1", "-c", reset, dsn], env)
    _run(["psql", "--quiet", "-v", "ON_ERROR_STOP=1", "--file", str(backup), dsn], env)


async def restore_database(dsn: str, backup: Path) -> None:
    """Put ``backup`` (from ``backup_database``) back in place of the store at ``dsn``: every
    daemon on it must be stopped. What it held since the backup is gone."""
    url = make_url(dsn)
    if url.get_backend_name() == "sqlite":
        await asyncio.to_thread(_sqlite_copy, str(backup), Path(_sqlite_path(url)))
    else:
        await asyncio.to_thread(_pg_restore, url, backup)
