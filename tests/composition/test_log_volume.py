"""A bad day's log stays readable: identical errors once per interval with a count, no line of megabytes."""

from __future__ import annotations

import io
import json

import structlog
from structlog.testing import capture_logs

from bridge.logs import MAX_TRACEBACK_CHARS, MAX_VALUE_CHARS, Quieten, configure_logging, cut_long_values


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _quieten(clock: _Clock) -> list[object]:
    return [structlog.processors.add_log_level, Quieten(60.0, clock)]


def test_an_identical_warning_is_logged_once_per_interval() -> None:
    """The same store error a hundred times in a minute: one line."""
    clock = _Clock()
    with capture_logs(processors=_quieten(clock)) as logs:
        for _ in range(100):
            structlog.get_logger("t").warning(
                "job_store_unavailable", job="fulfil", error_kind="STORE_READ_ONLY"
            )
            clock.now += 0.5
    assert len(logs) == 1 and "repeated" not in logs[0]


def test_the_next_one_after_the_interval_carries_how_many_were_dropped() -> None:
    """Past the interval the error is logged again with ``repeated``: the ones left out since."""
    clock = _Clock()
    with capture_logs(processors=_quieten(clock)) as logs:
        for _ in range(5):
            structlog.get_logger("t").error("job_failed", job="writeback", error="ValueError('x')")
        clock.now = 61.0
        structlog.get_logger("t").error("job_failed", job="writeback", error="ValueError('x')")
    assert [entry.get("repeated") for entry in logs] == [None, 4]


def test_different_errors_and_info_lines_are_never_dropped() -> None:
    """Another job's error is another error; info lines (one per delivered trade) all pass."""
    clock = _Clock()
    with capture_logs(processors=_quieten(clock)) as logs:
        for job in ("fulfil", "writeback"):
            structlog.get_logger("t").warning("job_store_unavailable", job=job)
        for _ in range(3):
            structlog.get_logger("t").info("trade_delivered", tid=1)
    assert len(logs) == 5


def test_a_long_value_is_cut_with_a_note_of_its_length() -> None:
    """A 0.9 MB value (a statement's parameters) is cut to the limit and says how long it was."""
    big = "x" * 900_000
    with capture_logs(processors=[cut_long_values]) as logs:
        structlog.get_logger("t").warning("write_back_failed", error=big, ids=list(range(100_000)))
    [entry] = logs
    assert entry["error"] == f"{'x' * MAX_VALUE_CHARS}… [cut: 900000 chars]"
    assert len(entry["ids"]) < MAX_VALUE_CHARS + 40 and entry["ids"].endswith("chars]")


def test_no_rendered_line_is_longer_than_a_few_kilobytes() -> None:
    """Through the daemon's configuration: a huge error and a traceback still make a short line."""
    out = io.StringIO()
    configure_logging("info", "json", stream=out)
    try:
        raise ValueError("y" * 500_000)
    except ValueError:
        structlog.get_logger("t").exception("job_failed", job="writeback", detail="z" * 500_000)
    [line] = out.getvalue().splitlines()
    assert len(line.encode()) < 2 * MAX_VALUE_CHARS + MAX_TRACEBACK_CHARS + 1000
    assert json.loads(line)["detail"].endswith("[cut: 500000 chars]")
