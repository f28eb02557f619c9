"""``bridge backup`` and ``bridge recover``: a backup that says it is one, and the step after a restore.

``bridge backup --config FILE DEST`` copies the configured store to the new
file DEST (SQLite's online backup, or ``pg_dump`` in plain SQL for PostgreSQL)
and marks the copy as a backup. ``bridge recover --config FILE [--since TIME]``
is run after restoring any backup and before starting any daemon
(``bridge.services.recovery``): exit 0 when the store is safe to run on, 1 when
the recovery could not finish (run it again), 2 on a configuration error.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any


def _aware(text: str) -> datetime:
    """An argparse type: an ISO 8601 time with its UTC offset."""
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 time") from None
    if when.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no UTC offset (write +08:00 or Z)")
    return when


def add_restore_commands(sub: Any) -> None:
    """Add ``backup`` and ``recover`` to the ``bridge`` command's subparsers."""
    backup = sub.add_parser("backup", help="copy the store to a new file, marked as a backup")
    backup.add_argument("dest", type=Path, help="the new file (SQLite database, or SQL for psql)")
    backup.add_argument("--config", type=Path, required=True, help="path to the TOML configuration")
    rec = sub.add_parser("recover", help="after restoring a backup, before starting the daemon")
    rec.add_argument("--config", type=Path, required=True, help="path to the TOML configuration")
    rec.add_argument(
        "--since",
        type=_aware,
        default=None,
        help="when the backup was taken (default: the time `bridge backup` marked it with)",
    )
    rec.add_argument("--json", action="store_true", help="print the figures as one JSON object")


async def backup_command(args: argparse.Namespace) -> int:
    from bridge.settings import load_settings
    from bridge.store import backup_database, open_store

    settings = load_settings(args.config)
    store = await open_store(settings.database, settings.store)
    try:
        taken_at = await store.database_time()
    finally:
        await store.close()
    try:
        await backup_database(settings.database, args.dest, taken_at)
    except (OSError, RuntimeError) as exc:
        print(f"backup: {exc}", file=sys.stderr)
        return 1
    print(f"backup of {taken_at.isoformat()} written to {args.dest}")
    return 0


async def recover_command(args: argparse.Namespace) -> int:
    from bridge.core.errors import BridgeError, ConfigError
    from bridge.logs import configure_logging
    from bridge.services.recovery import recover
    from bridge.settings import load_settings
    from bridge.wiring import build_deps

    settings = load_settings(args.config)
    configure_logging("warning", settings.log_format)  # stderr: stdout holds the figures
    try:
        async with build_deps(settings) as deps:
            report = await recover(deps, args.since)
    except ConfigError:
        raise
    except BridgeError as exc:
        print(f"recover: not finished, run it again: {exc}", file=sys.stderr)
        return 1
    figures = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in asdict(report).items()}
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
    else:
        print("recovered: the daemons may start")
        for key, value in figures.items():
            print(f"  {key:<22} {value}")
    return 0
