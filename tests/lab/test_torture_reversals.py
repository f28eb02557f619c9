"""The torture with reversals: delivered lines refunded and reversed under SIGKILLs and lost answers.

A small run per engine (``engine``: SQLite, then PostgreSQL) of ``bridge.lab.torture`` with every
fault knob on and ``reversals``: once every order has settled, delivered lines are refunded, their
reversals requested (and approved above the threshold) and performed by the daemons while the
billing core drops a share of the reversals' answers after undoing them and daemons are killed.
The billing sandbox's own counts decide: nothing reversed twice, nothing lost, nothing unasked.
"""

from __future__ import annotations

import asyncio
import json

import pytest

from bridge.core.states import LineState
from bridge.lab.torture import TortureOptions, TortureRun
from tests.lab import runs

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


@pytest.fixture(scope="module")
def torture_run(engine: str, tmp_path_factory: pytest.TempPathFactory) -> TortureRun:
    opts = TortureOptions(
        orders=60,
        kills=3,
        seed=5,
        faults=True,
        rate=20.0,
        timeout_s=120.0,
        workdir=tmp_path_factory.mktemp("torture-reversals"),
        progress=False,
        reversals=12,
    )
    run = asyncio.run(runs.torture_on(engine, opts))
    print(json.dumps({k: v for k, v in run.report.items() if k != "timeline"}, ensure_ascii=False))
    return run


def test_every_requested_reversal_is_applied_exactly_once(torture_run: TortureRun) -> None:
    report = torture_run.report
    assert report["reversals_requested"] == 12
    assert (report["double_reversals"], report["reversals_lost"], report["reversals_unasked"]) == (0, 0, 0)
    assert report["reversed"] == 12 and report["ok"]


def test_the_reversals_met_lost_answers(torture_run: TortureRun) -> None:
    """The run proves the lookup path only if some reversal answers were really dropped."""
    assert torture_run.report["reversal_answers_lost"] > 0


def test_the_ledger_shows_each_reversed_line_undone(torture_run: TortureRun) -> None:
    """Every REVERSED line's operations are "reversed" in the billing sandbox's ledger, once each."""
    reversed_lines = [ln for ln in torture_run.lines if ln.state is LineState.REVERSED]
    ledger = {op["request_id"]: op for op in torture_run.records.ledger if not op["repeat"]}
    assert len(reversed_lines) == 12
    for ln in reversed_lines:
        for op in ln.operations:
            assert (ledger[op.request_id]["status"], ledger[op.request_id]["reversals"]) == ("reversed", 1)


def test_the_other_lines_are_still_exactly_once(torture_run: TortureRun) -> None:
    report = torture_run.report
    assert (report["duplicates"], report["lost"], report["final_sigterm_exit"]) == (0, 0, 0)


def test_an_older_billing_core_that_does_not_deduplicate_never_reverses_twice(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """The same phase against a core that undoes a repeated reversal again (and applies late): every
    lost answer is looked up before any resend, so the ledger still counts one reversal each."""
    opts = TortureOptions(
        orders=40,
        kills=2,
        seed=6,
        faults=True,
        rate=20.0,
        timeout_s=120.0,
        workdir=tmp_path_factory.mktemp("torture-reversals-old-core"),
        progress=False,
        billing_no_dedupe=True,
        reversals=10,
    )
    report = asyncio.run(runs.torture_on("sqlite", opts)).report
    print(json.dumps({k: v for k, v in report.items() if k != "timeline"}, ensure_ascii=False))
    assert not report["billing_dedupe"] and report["reversal_answers_lost"] > 0
    assert (report["reversals_requested"], report["reversed"]) == (10, 10)
    assert (report["double_reversals"], report["reversals_lost"], report["reversals_unasked"]) == (0, 0, 0)
    assert report["ok"]
