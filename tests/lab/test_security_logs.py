"""Security (issue 4 §4): whole runs with every log captured show no secret, PIN or card number.

Two runs, each on both engines: a small torture run (the daemon as its own process at debug level,
faults and SIGKILLs on, so error paths log too, with random secrets nobody
could find by accident) whose JSON log, stdout and stderr are read whole; and
``bridge demo`` itself, in this process, with its log file and its printed
output. Marketplace tids are 17-19 digits and allowed; a full card number is
16 digits starting 8371 and must never appear.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bridge.core.records import LineRecord
from bridge.lab.demo import run_demo
from bridge.lab.sandboxes import Credentials
from bridge.lab.torture import TortureOptions, TortureRun
from bridge.store import open_store
from tests.lab import runs

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]

_FULL_CARD = re.compile(r"(?<!\d)8371\d{12}(?!\d)")


@dataclass
class Captured:
    text: str  # every log line and every printed line of the run
    secrets: list[str]
    pins: list[str]
    cards: list[str]


def _pins(lines: list[LineRecord]) -> list[str]:
    return [c["pin"] for ln in lines for op in ln.operations for c in (op.result or {}).get("cards", [])]


def _cards(lines: list[LineRecord]) -> list[str]:
    return sorted({ln.card_no for ln in lines if ln.card_no})


@pytest.fixture(scope="module")
def torture_logs(engine: str, tmp_path_factory: pytest.TempPathFactory) -> Captured:
    workdir = tmp_path_factory.mktemp("secure")
    opts = TortureOptions(orders=60, kills=2, seed=3, rate=20.0, workdir=workdir, log_level="debug")
    run: TortureRun = asyncio.run(runs.torture_on(engine, opts))
    creds = run.credentials
    text = (workdir / "bridge.log").read_text(encoding="utf-8") + json.dumps(run.report, ensure_ascii=False)
    return Captured(text, creds.all(), _pins(run.lines), _cards(run.lines))


@pytest.fixture
def _root_logging_kept() -> Iterator[None]:
    """``bridge demo`` configures logging for its process: put the test run's back afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
async def demo_logs(
    tmp_path: Path, database: str, capsys: pytest.CaptureFixture[str], _root_logging_kept: None
) -> Captured:
    code = await run_demo(
        orders=40, exit_when_done=True, as_json=True, rate=0, workdir=tmp_path, database=database
    )
    out, err = capsys.readouterr()
    assert code == 0, out
    store = await open_store(database)
    try:
        lines = await store.views.all_lines()
    finally:
        await store.close()
    text = (tmp_path / "bridge.log").read_text(encoding="utf-8") + out + err
    return Captured(text, Credentials().all(), _pins(lines), _cards(lines))


def test_torture_logs_hold_no_secret_or_session_key(torture_logs: Captured) -> None:
    """No secret appears anywhere: the billing core's, Taobao's app secret and session key, Pinduoduo's
    client secret and access token."""
    assert [s for s in torture_logs.secrets if s in torture_logs.text] == []


def test_torture_logs_hold_no_pin(torture_logs: Captured) -> None:
    """PINs of issued point cards (the run issues some) appear nowhere."""
    assert torture_logs.pins
    assert [p for p in torture_logs.pins if p in torture_logs.text] == []


def test_torture_logs_hold_no_full_card_number(torture_logs: Captured) -> None:
    """Smart-card numbers appear masked (last 4 digits) only."""
    assert torture_logs.cards
    assert [c for c in torture_logs.cards if c in torture_logs.text] == []
    assert _FULL_CARD.findall(torture_logs.text) == []


def test_demo_output_holds_no_secret_pin_or_card(demo_logs: Captured) -> None:
    """``bridge demo``: its log file and everything it printed are clean too."""
    found = [s for s in demo_logs.secrets + demo_logs.pins + demo_logs.cards if s in demo_logs.text]
    assert demo_logs.pins and demo_logs.cards
    assert found == []
    assert _FULL_CARD.findall(demo_logs.text) == []
