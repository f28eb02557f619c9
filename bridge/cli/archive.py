"""``bridge archive --config FILE [--dry-run]``: move events and audit rows past their retention now.

Runs the daemon's retention job (``bridge.services.retention``) once, on the
configured database and ``[retention]`` days, and prints how many rows of each
kind moved to the archive; with ``--dry-run`` it moves nothing and prints how
many would move. A kind kept for ever (0 days) is not listed. Safe beside
running daemons: the store moves each row once, whoever else moves rows too.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def add_archive_command(sub: Any) -> None:
    """Add ``archive`` to the ``bridge`` command's subparsers."""
    arc = sub.add_parser("archive", help="move events and audit rows past their retention to the archive")
    arc.add_argument("--config", type=Path, required=True, help="path to the TOML configuration")
    arc.add_argument("--dry-run", action="store_true", help="only count the rows that would move")


async def archive_command(args: argparse.Namespace) -> int:
    from bridge.logs import configure_logging
    from bridge.services.retention import archivable, archive_due, cut_offs
    from bridge.settings import load_settings
    from bridge.wiring import build_deps

    settings = load_settings(args.config)
    configure_logging("warning", settings.log_format)  # stderr: stdout holds the counts
    async with build_deps(settings) as deps:
        befores = cut_offs(settings.retention, deps.clock())
        counts = await (archivable(deps) if args.dry_run else archive_due(deps))
    verb = "would move" if args.dry_run else "moved"
    if not befores:
        print("retention: events and audit rows are kept for ever ([retention] days 0): nothing to move")
    for kind, before in befores.items():
        when = before.isoformat()
        print(f"{kind}: {counts.get(kind, 0)} row(s) written before {when} {verb} to the archive")
    return 0
