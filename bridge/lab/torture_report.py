"""How a torture run reads to a person: when it is settled, its progress line, its final figures."""

from __future__ import annotations

from typing import Any

from bridge.core.states import BUSY
from bridge.lab.torture_chaos import ChaosLog


def settled(counts: dict[str, int], expected_lines: int) -> bool:
    """Every line stored and at rest, no write-back and no memo left to write."""
    stored = sum(v for k, v in counts.items() if not k.startswith("_"))
    busy = sum(counts.get(s.value, 0) for s in BUSY)
    return (
        stored >= expected_lines
        and busy == 0
        and counts.get("_memos_pending", 0) == 0
        and counts.get("_trades_due", 0) == 0
    )


def progress_line(placed: int, total: int, counts: dict[str, int], kills: int, log: ChaosLog) -> str:
    busy = sum(counts.get(s.value, 0) for s in BUSY)
    return (
        f"torture: orders {placed}/{total} · delivered {counts.get('DELIVERED', 0)} · "
        f"exceptions {counts.get('EXCEPTION', 0)} · in progress {busy} · "
        f"memos {counts.get('_memos_pending', 0)} · kills {kills} · "
        f"billing restarts {log.billing_restarts}"
    )


def _faults(faults: dict[str, Any]) -> str:
    b, m = faults["billing"], faults["marketplace"]
    p = faults.get("pinduoduo")
    pdd = (
        f" · pinduoduo busy ×{p['busy_errors']}, system ×{p['system_errors']}, "
        f"rate limited ×{p['rate_limit_errors']}, pages shifted ×{p['pages_shifted']}, "
        f"rows repeated ×{p['rows_duplicated']}, rows dropped ×{p['rows_dropped']}"
        if p
        else ""
    )
    return (
        f"faults: billing 429 ×{b['rate_limited_429']}, 503 ×{b['maintenance_503']}, "
        f"500 ×{b['internal_500']}, answers lost after apply ×{b['answers_lost_after_apply']}, "
        f"calls cut ×{b['calls_without_answer']} · marketplace isp.* ×{m['isp_errors']}, "
        f"call limit ×{m['call_limit_errors']}, rate limited ×{m['rate_limited']}, "
        f"pages shifted ×{m['pages_shifted']}, visible {m['visibility_delay_s']:g} s late{pdd}"
    )


def _shops(r: dict[str, Any]) -> list[str]:
    return [
        f"  {s['name']} ({s['storefront']}): orders {s['orders']} · lines {s['lines']} · "
        f"delivered {s['delivered']} · duplicates {s['duplicates']} · lost {s['lost']} · "
        f"wrong reason {s['wrong_reason']} · bad without memo {s['bad_without_memo']}"
        for s in r.get("shops", [])
    ]


def _outage(outage: dict[str, Any]) -> str:
    if not outage:
        return "outage: none"
    return (
        f"outage: maintenance {outage['maintenance_s']} s · backlog {outage['backlog_at_reopen']} lines "
        f"at reopening, {outage['backlog_after_drain']} left after {outage['drain_s']} s · "
        f"drained at {outage['drain_lines_per_s']} lines/s "
        f"(billing core capacity ≈ {outage['billing_capacity_calls_per_s']} calls/s)"
    )


def _reversals(r: dict[str, Any]) -> list[str]:
    if "reversals_requested" not in r:
        return []
    return [
        f"reversals: requested {r['reversals_requested']} · reversed {r['reversed']} · "
        f"double {r['double_reversals']} · lost {r['reversals_lost']} · unasked {r['reversals_unasked']} · "
        f"answers lost {r['reversal_answers_lost']}"
    ]


def _seconds(values: list[float]) -> str:
    return ", ".join(f"{v} s" for v in values)


def _store_faults(r: dict[str, Any]) -> list[str]:
    return [
        f"store fault {f['fault']} at {f['at_s']} s for {f['held_s']} s: /healthz 503 "
        f"{_seconds(f['health_503_s'])} · no answer {_seconds(f['health_silent_s'])} · "
        f"codes {', '.join(f['codes']) or '-'} · healthy {f['healthy_after_lift_s']} s after the lift"
        for f in r.get("store_faults", [])
    ]


def format_report(r: dict[str, Any]) -> str:
    lat = r["latency_ms"]
    verdict = "OK" if r["ok"] else "FAILED"
    return "\n".join(
        [
            f"torture {verdict}: orders {r['orders']} · lines {r['lines']} · kills {r['kills']} "
            f"({r['kills_mid_call']} mid-call) · 429 bursts {r['rate_limit_bursts']} · "
            f"billing restarts {r['billing_restarts']} · daemon crashes {r['daemon_crashes']} · "
            f"{r['elapsed_s']} s",
            f"delivered {r['delivered']} · exceptions "
            + ", ".join(f"{k} {v}" for k, v in r["exceptions"].items()),
            f"duplicates {r['duplicates']} · lost {r['lost']} · wrong reason {r['wrong_reason']} · "
            f"bad without memo {r['bad_without_memo']} · settled {r['settled']}",
            *_shops(r),
            *_reversals(r),
            _faults(r["faults"]),
            _outage(r["outage"]),
            *_store_faults(r),
            f"payment → delivery ms: p50 {lat['p50']} · p95 {lat['p95']} · p99 {lat['p99']} · "
            f"max {lat['max']}",
            f"log: {r['log']}",
        ]
    )
