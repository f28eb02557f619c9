"""A 300-order demo against an older billing core (on each engine): no deduplication, slow applies.

Any resend of a part that was applied, or that was still landing, credits twice
here; the verdict comes from the sandboxes' own ledgers (``bridge.lab.verify``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bridge.lab.demo import run_demo
from bridge.lab.sandboxes import OLD_BILLING_CORE

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


async def test_300_orders_are_each_credited_once_by_an_older_billing_core(
    tmp_path: Path, database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Duplicates 0 and lost 0, with slow applies having happened (and nothing applied twice)."""
    code = await run_demo(
        orders=300,
        exit_when_done=True,
        as_json=True,
        rate=60.0,
        seed=5,
        timeout_s=240.0,
        workdir=tmp_path,
        billing_knobs=OLD_BILLING_CORE.model_copy(),
        database=database,
    )
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (report["duplicates"], report["lost"], code) == (0, 0, 0)
    assert report["billing"]["slow_applies"] >= 5
    assert report["billing"]["operations"]["repeated"] == 0
    served = set(report["metrics_series"])  # /metrics during the demo (counters without their _total)
    assert {
        "bridge_lines",
        "bridge_exceptions",
        "bridge_oldest_due_seconds",
        "bridge_delivery_seconds",
        "bridge_billing_call_seconds",
        "bridge_marketplace_calls",
        "bridge_watermark_age_seconds",
        "bridge_last_poll_success_timestamp_seconds",
        "bridge_billing_breaker_open",
        "bridge_push_messages_consumed",
    } <= served
