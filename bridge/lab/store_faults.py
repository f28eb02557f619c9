"""How the database is made to fail under running daemons: the one owner for the torture and the drills.

Three faults, each on both engines, each lifted again (``start`` / ``stop``);
``exercises`` says in words what the daemon meets:

* read-only. PostgreSQL: ``default_transaction_read_only`` for the database's
  new sessions and its sessions ended, as a failover does (``set_read_only``).
  SQLite: the file and its WAL made immutable (``chattr +i``, which binds root
  as well, on a filesystem that keeps the attribute): the open connection's
  COMMIT fails with a disk I/O error, a connection opened meanwhile is
  read-only. The ``-shm`` file is left alone: it is mapped memory, and an
  immutable one kills the process with SIGBUS.
* refused. PostgreSQL: the daemons reach the server through a ``TcpGate``
  that cuts their connections and refuses new ones, as a stopped server does
  (the server other people share is never stopped). SQLite has no connection
  to refuse: a file already open keeps working when its directory is moved or
  unmounted, so the directory is moved away (a file put in its place: the bridge
  would make an empty directory again and start on a new, empty database) and
  one daemon killed, which must then open it to start: it refuses to start
  (exit code 2) until the file is back.
* full. SQLite: the disk the file sits on (a small ext4 of its own, loop-mounted)
  filled to the last byte (``fill``). PostgreSQL: every write to the bridge's
  tables refused with SQLSTATE 53100 "No space left on device" by a trigger,
  as a full data volume answers, reads still served; a server cannot be given
  a disk of its own from here, and a full WAL volume stops the server, which is
  the refused fault.

Mounting and ``chattr`` need root: without it the SQLite faults cannot be made.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from bridge.lab.daemon_process import DaemonGroup
from bridge.lab.tcp_gate import TcpGate

__all__ = [
    "FAULT_KINDS",
    "PgFull",
    "PgReadOnly",
    "PgRefused",
    "SqliteFull",
    "SqliteImmutable",
    "SqliteMovedAway",
    "StoreFault",
    "fill",
    "loop_disk",
    "mounted_tmpfs",
    "set_read_only",
]

FAULT_KINDS = ("read_only", "refused", "full")


class StoreFault(Protocol):
    kind: str  # one of FAULT_KINDS
    exercises: str
    expects_503: bool  # the daemons keep answering during it, and health can say 503

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


def _run(*argv: str) -> None:
    done = subprocess.run(argv, capture_output=True, check=False)
    if done.returncode != 0:
        raise OSError(f"{' '.join(argv)}: {done.stderr.decode(errors='replace').strip()}")


@contextmanager
def mounted_tmpfs(directory: Path, size: str) -> Iterator[Path]:
    """A tmpfs of ``size`` mounted on ``directory`` (root only: ``OSError`` elsewhere)."""
    directory.mkdir(parents=True, exist_ok=True)
    _run("mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(directory))
    try:
        yield directory
    finally:
        subprocess.run(["umount", "-l", str(directory)], check=False)


@contextmanager
def loop_disk(directory: Path, size_mb: int) -> Iterator[Path]:
    """An ext4 of ``size_mb`` (no blocks kept for root, which keeps ``chattr``) loop-mounted on
    ``directory`` (root only: ``OSError`` elsewhere); its image is removed afterwards."""
    image = directory.with_name(directory.name + ".img")
    directory.mkdir(parents=True, exist_ok=True)
    with image.open("wb") as out:
        out.truncate(size_mb * 1024 * 1024)
    try:
        _run("mkfs.ext4", "-q", "-F", "-m", "0", str(image))
        _run("mount", "-o", "loop", str(image), str(directory))
        try:
            yield directory
        finally:
            subprocess.run(["umount", "-l", str(directory)], check=False)
    finally:
        image.unlink(missing_ok=True)


def fill(disk: Path) -> Path:
    """Fill ``disk`` to the last byte with one file; return it."""
    filler = disk / "filler"
    with filler.open("wb", buffering=0) as out:  # unbuffered: nothing left to write when it closes
        try:
            while True:
                out.write(b"\0" * 65536)
        except OSError:
            pass
    return filler


async def set_read_only(admin: AsyncEngine, database: str, on: bool) -> None:
    """Turn ``database`` read-only (or back) for new sessions, and end its other sessions when
    turning it on (``admin`` may be connected to it: its own session is spared)."""
    async with admin.connect() as conn:
        await conn.execute(text(f'ALTER DATABASE "{database}" SET default_transaction_read_only = {on}'))
        if on:  # as a failover or a restart does: every session opened afterwards is read-only
            end = select(func.pg_terminate_backend(text("pid"))).select_from(text("pg_stat_activity"))
            others = text("datname = :db AND pid <> pg_backend_pid()")
            await conn.execute(end.where(others), {"db": database})


def _admin(dsn: str, database: str | None = None) -> AsyncEngine:
    """An autocommit engine on ``dsn``'s server with its credentials (on ``database`` if given)."""
    url = make_url(dsn)
    return create_async_engine(
        url.set(database=database) if database else url, isolation_level="AUTOCOMMIT", poolclass=NullPool
    )


@dataclass
class SqliteImmutable:
    database: Path
    kind: str = "read_only"
    exercises: str = (
        "SQLite file and WAL immutable (chattr +i): the open connection's COMMIT fails with a disk "
        "I/O error (may have committed), a connection opened meanwhile is read-only"
    )
    expects_503: bool = True

    def _files(self) -> list[str]:
        wal = self.database.with_name(self.database.name + "-wal")
        return [str(p) for p in (self.database, wal) if p.exists()]

    async def start(self) -> None:
        _run("chattr", "+i", *self._files())

    async def stop(self) -> None:
        _run("chattr", "-i", *self._files())


@dataclass
class SqliteMovedAway:
    directory: Path
    daemons: DaemonGroup
    kind: str = "refused"
    exercises: str = (
        "SQLite directory moved away and a daemon killed: it cannot open the file, refuses to start "
        "(exit code 2) and is started again once the file is back; the open connections keep working"
    )
    expects_503: bool = False
    killed: int = 0

    @property
    def _away(self) -> Path:
        return self.directory.with_name(self.directory.name + ".away")

    async def start(self) -> None:
        self.directory.rename(self._away)
        # a file in its place: an empty directory there would be taken for a new database
        self.directory.write_text("moved away by the torture\n", encoding="utf-8")
        member = self.daemons.members[0]
        await member.kill()
        await member.start()
        self.killed += 1

    async def stop(self) -> None:
        self.directory.unlink()
        self._away.rename(self.directory)
        await self.daemons.restart_dead()


@dataclass
class SqliteFull:
    disk: Path
    kind: str = "full"
    exercises: str = "the SQLite file's disk filled to the last byte: writes fail SQLITE_FULL"
    expects_503: bool = True

    async def start(self) -> None:
        fill(self.disk)

    async def stop(self) -> None:
        (self.disk / "filler").unlink()


@dataclass
class PgReadOnly:
    dsn: str
    kind: str = "read_only"
    exercises: str = (
        "default_transaction_read_only on the database and its sessions ended, as a failover does: "
        "writes fail 25006 until it is writable, read-only sessions must be discarded"
    )
    expects_503: bool = True

    async def _set(self, on: bool) -> None:
        admin = _admin(self.dsn, "postgres")  # a session on the database itself would turn read-only too
        try:
            await set_read_only(admin, str(make_url(self.dsn).database), on)
        finally:
            await admin.dispose()

    async def start(self) -> None:
        await self._set(True)

    async def stop(self) -> None:
        await self._set(False)


@dataclass
class PgRefused:
    gate: TcpGate
    kind: str = "refused"
    exercises: str = (
        "the daemons' connections cut and new ones refused (ECONNREFUSED) by the gate they reach "
        "the server through, as a stopped server does"
    )
    expects_503: bool = True

    async def start(self) -> None:
        await self.gate.shut()

    async def stop(self) -> None:
        await self.gate.open()


_FULL_FUNCTION = """
CREATE OR REPLACE FUNCTION bridge_lab_disk_full() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = '53100';
END $$
"""
_FULL_TRIGGER = (
    'CREATE TRIGGER bridge_lab_disk_full BEFORE INSERT OR UPDATE OR DELETE ON "{table}"'
    " FOR EACH STATEMENT EXECUTE FUNCTION bridge_lab_disk_full()"
)


@dataclass
class PgFull:
    dsn: str
    kind: str = "full"
    exercises: str = (
        "every write to the bridge's tables refused with 53100 (disk full) by a trigger, reads "
        "served: a full data volume (a full WAL volume stops the server: the refused fault)"
    )
    expects_503: bool = True
    tables: list[str] = field(default_factory=list)

    async def start(self) -> None:
        admin = _admin(self.dsn)
        try:
            async with admin.connect() as conn:
                names = await conn.execute(
                    text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
                )
                self.tables = [n for n in names.scalars() if n != "alembic_version"]
                await conn.execute(text(_FULL_FUNCTION))
                for name in self.tables:
                    await conn.execute(text(_FULL_TRIGGER.format(table=name)))
        finally:
            await admin.dispose()

    async def stop(self) -> None:
        admin = _admin(self.dsn)
        try:
            async with admin.connect() as conn:
                for name in self.tables:
                    await conn.execute(text(f'DROP TRIGGER IF EXISTS bridge_lab_disk_full ON "{name}"'))
                await conn.execute(text("DROP FUNCTION IF EXISTS bridge_lab_disk_full()"))
        finally:
            await admin.dispose()
