"""``python -m bench.daemon run --config FILE``: the bridge daemon, counting its SQL.

Installs SQLAlchemy event listeners on the sync ``Engine`` class (they fire for
async engines too) before the bridge's own entry point runs, and at exit writes
what it counted, with the process's CPU time, as JSON to the file
named by ``$BENCH_COUNTS_PATH``. Production code is untouched: only the
benchmark starts the daemon this way.
"""

from __future__ import annotations

import json
import os
import resource
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

COUNTS_ENV = "BENCH_COUNTS_PATH"


def install_counters(counts: Counter[str]) -> None:
    """Count statements (one per cursor execution, ``executemany`` once) and transactions."""

    def statement(*_: Any) -> None:
        counts["statements"] += 1

    def begin(_conn: Any) -> None:
        counts["transactions"] += 1

    def commit(_conn: Any) -> None:
        counts["commits"] += 1

    def rollback(_conn: Any) -> None:
        counts["rollbacks"] += 1

    event.listen(Engine, "before_cursor_execute", statement)
    event.listen(Engine, "begin", begin)
    event.listen(Engine, "commit", commit)
    event.listen(Engine, "rollback", rollback)


def _write(path: Path, counts: Counter[str]) -> None:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    report = {
        **counts,
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 3),
    }
    path.write_text(json.dumps(report), encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    from bridge.cli.main import main as bridge_main  # after nothing else imported the store

    counts: Counter[str] = Counter()
    install_counters(counts)
    target = os.environ.get(COUNTS_ENV)
    try:
        return bridge_main(list(sys.argv[1:] if argv is None else argv))
    finally:
        if target:
            _write(Path(target), counts)


if __name__ == "__main__":
    sys.exit(main())
