"""A daemon's CPU time and resident memory, read from ``/proc`` while it runs (Linux)."""

from __future__ import annotations

import os
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_s(pid: int) -> float | None:
    """User + system CPU seconds of ``pid`` so far; None once it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = text.rsplit(")", 1)[1].split()  # the command name may hold spaces
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime (fields 14 and 15)


def rss_mb(pid: int, field: str = "VmRSS") -> float | None:
    """Resident set size of ``pid`` in MB (``VmHWM``: its peak so far); None once it is gone.

    The peak is read here rather than from ``getrusage``: Linux carries ``ru_maxrss``
    across ``execve``, so a child's would start at its parent's size.
    """
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except (FileNotFoundError, ProcessLookupError):
        return None
    for line in lines:
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return None
