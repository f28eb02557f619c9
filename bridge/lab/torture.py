"""``bridge torture``: prove exactly-once under crashes and faulty remotes, with figures.

The sandboxes run in this process with every fault knob on (see
``torture_chaos``: Taobao's and Pinduoduo's alike where they have the same
knob); the daemon runs as its own process, is killed with SIGKILL at random
moments and restarted, while orders flow and while the billing core restarts
once and closes for a settlement window. The orders are dealt in turn to two
shops, "main" on Taobao and "pdd" on Pinduoduo (``SHOPS``). When every line has
settled the run is checked against the sandboxes' own records, shop by shop
(``bridge.lab.verify``): every valid line applied exactly once, every order
delivered exactly once, every bad line in EXCEPTION with its reason and a red
note, nothing lost. Exit status 0 only when all of that holds for both shops.
With ``api`` (``bridge torture``'s default; ``--no-api`` leaves it out) the
channel client "hall" takes every third order through the order API, its
callback receiver hostile and down for a while, a daemon killed with callbacks
pending (``torture_channel``); the run then also needs every
settled order's callback acknowledged by the end.
"""

from __future__ import annotations

import asyncio
import json
import random
import signal
import sys
import tempfile
import time
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy.engine import make_url

from adapters.billing_core.sandbox import BillingKnobs
from bridge.core.models import CST
from bridge.core.records import LineRecord
from bridge.lab import DEMO_MAPPINGS
from bridge.lab.channel import CHANNEL, api_section
from bridge.lab.daemon_process import DaemonGroup, DaemonProcess, free_port
from bridge.lab.demo_channel import channel_summary
from bridge.lab.sandboxes import (
    OLD_BILLING_CORE,
    Credentials,
    Sandboxes,
    bridge_config,
    pdd_shop_config,
    running_sandboxes,
    to_toml,
)
from bridge.lab.scenario import OrderMaker, PlannedOrder, Storefront, fetch_subscribers, place_orders
from bridge.lab.store_faults import FAULT_KINDS
from bridge.lab.torture_channel import HOSTILE_RECEIVER, ChannelTorture
from bridge.lab.torture_chaos import (
    TORTURE_BILLING,
    TORTURE_MARKET,
    TORTURE_PDD,
    ChaosLog,
    billing_capacity,
    faults_injected,
    kill_loop,
    maintenance_window,
    rate_limit_bursts,
    restart_billing,
)
from bridge.lab.torture_report import format_report, progress_line, settled
from bridge.lab.torture_restore import RestoreDrill, drill_for, forgotten, restore_line
from bridge.lab.torture_reversals import reversal_phase
from bridge.lab.torture_store_faults import (
    FAILING_S,
    FaultGround,
    FaultPlan,
    fault_ground,
    reconcile_today,
    store_fault_phase,
)
from bridge.lab.verify import Records, fetch_records, refuse_used_database, verify_shops
from bridge.ports import StorePort
from bridge.services.mappings import load_mapping_set
from bridge.settings import ReversalSettings
from bridge.settings_api import ApiSettings
from bridge.store import open_store
from bridge.wiring import mapping_files

SHOP = "main"
PDD_SHOP = "pdd"
SHOPS: dict[str, Storefront] = {SHOP: "taobao", PDD_SHOP: "pinduoduo"}
"""The torture's shops by name, each with the storefront it sells on; orders are dealt to them in turn."""


@dataclass(frozen=True)
class TortureOptions:
    orders: int = 500
    kills: int = 10
    seed: int = 7
    faults: bool = True
    rate: float = 20.0  # orders per second
    billing_restart: bool | None = None  # default: with faults
    maintenance: bool | None = None  # default: with faults
    timeout_s: float = 1800.0  # for every line to settle once all orders are placed
    workdir: Path | None = None
    log_level: str = "info"
    progress: bool = True
    calm_latency_ms: float = 0.0  # without faults: billing-core median latency (calls in flight at kills)
    instances: int = 1  # daemon processes on the one database, the kills spread across them
    database: str | None = None  # a DSN (an empty database); default a new SQLite file in the workdir
    billing_no_dedupe: bool = False  # an older billing core: no request_id dedupe, slow applies
    push: bool = False  # the daemons also take the marketplace's messages (asking every second when idle)
    reversals: int = 0  # delivered lines refunded and reversed once everything settled (torture_reversals)
    restore_at: int | None = None  # a backup at this many delivered lines, restored later (torture_restore)
    restore_recovery: bool = True  # False: restored without `bridge recover` (the tests' proof it matters)
    store_faults: bool = False  # the database read-only, refusing, full, in turn (torture_store_faults)
    store_fault_s: float = 15.0  # how long each store fault is held (at least)
    api: bool = False  # a third of the orders through the order API, callbacks to a hostile receiver

    @property
    def placement_s(self) -> float:
        return self.orders / self.rate if self.rate > 0 else 1.0


def _calm(latency_ms: float) -> BillingKnobs:
    """A well-behaved billing core that still takes a while: kills then land on calls in flight."""
    return BillingKnobs(latency_ms=latency_ms, latency_tail_ms=4 * latency_ms)


def _billing_knobs(opts: TortureOptions) -> BillingKnobs:
    """The billing core's weather; with ``billing_no_dedupe`` an older one (``OLD_BILLING_CORE``)."""
    knobs = TORTURE_BILLING.model_copy() if opts.faults else _calm(opts.calm_latency_ms)
    if opts.billing_no_dedupe:
        old = OLD_BILLING_CORE
        knobs = knobs.model_copy(
            update={"dedupe": False, "slow_apply_rate": old.slow_apply_rate, "slow_apply_s": old.slow_apply_s}
        )
    return knobs


TORTURE_PUSH_IDLE_S = 1.0


def _write_configs(
    sb: Sandboxes, workdir: Path, opts: TortureOptions, api_listens: list[str]
) -> tuple[list[DaemonProcess], str]:
    """One configuration and process handle per instance, all on the same database; and its DSN.
    With ``api_listens`` each instance serves the order API on its own."""
    members = []
    dsn = ""
    for n in range(1, opts.instances + 1):
        port = free_port()
        config = bridge_config(sb, workdir, shop=SHOP, shops={PDD_SHOP: pdd_shop_config(sb)})
        if opts.database:
            config["database"] = opts.database
        config.update(
            instance=f"torture-{n}", listen=f"127.0.0.1:{port}", log_level=opts.log_level, log_format="json"
        )
        # polling every second is the intake here; with push as well every trade is read and stored
        # twice, which on two shared cores slows the run past its timeout: push is an option
        config["push"] = {"enabled": opts.push, "idle_sleep_s": TORTURE_PUSH_IDLE_S}
        config["reversal"] = {"interval_s": 1.0}  # decided reversals performed (and resumed) every second
        if opts.store_faults:
            config["store"] = {"failing_s": FAILING_S}
        if api_listens:
            config["api"] = api_section(api_listens[n - 1], sb.receiver.host)
        path = workdir / ("bridge.toml" if n == 1 else f"bridge-{n}.toml")
        path.write_text(to_toml(config), encoding="utf-8")
        health = f"http://127.0.0.1:{port}/healthz"
        members.append(DaemonProcess(path, sb.env(), workdir / "bridge.log", health))
        dsn = str(config["database"])
    return members, dsn


def _chaos_tasks(
    opts: TortureOptions,
    sb: Sandboxes,
    daemons: DaemonGroup,
    store: StorePort,
    log: ChaosLog,
    store_faults: FaultPlan | None,
) -> list[asyncio.Task[None]]:
    """The disturbances, each drawing from its own seeded stream (their timings do not mix)."""
    span = opts.placement_s
    mean_gap = max(1.5, 0.8 * span / max(opts.kills, 1))  # the kills fall while orders are placed
    gaps = (1.5, 2 * mean_gap - 1.5)  # the daemon needs ~1 s to start: most kills land mid-work
    rng = [random.Random(opts.seed * 10 + k) for k in range(3)]
    tasks = [asyncio.create_task(kill_loop(daemons, sb, store, rng[0], opts.kills, gaps, log))]
    if opts.faults:
        tasks.append(asyncio.create_task(rate_limit_bursts(sb, rng[1], span, log)))
    if opts.faults if opts.billing_restart is None else opts.billing_restart:
        tasks.append(asyncio.create_task(restart_billing(sb, rng[2].uniform(0.2, 0.4) * span, 1.5, log)))
    if opts.faults if opts.maintenance is None else opts.maintenance:
        window = min(15.0, max(3.0, span / 8))
        in_flight = int(bridge_config(sb, Path("."))["fulfilment"]["max_in_flight"])
        capacity = billing_capacity(sb.billing.sandbox.knobs, in_flight=in_flight)
        closed = maintenance_window(sb, store, 0.6 * span, window, log, capacity)
        tasks.append(asyncio.create_task(closed))
    if store_faults:
        phase = store_fault_phase(store_faults, daemons, log, 0.2 * span, opts.store_fault_s)
        tasks.append(asyncio.create_task(phase))
    return tasks


async def _wait_settled(
    opts: TortureOptions,
    store: StorePort,
    daemons: DaemonGroup,
    placed: list[PlannedOrder],
    log: ChaosLog,
) -> bool:
    """Until every line is settled (restarting a daemon that died by itself), or the timeout."""
    deadline = time.monotonic() + opts.timeout_s
    last_print = 0.0
    expected = sum(len(o.lines) for o in placed)
    while time.monotonic() < deadline:
        for index, code in await daemons.restart_dead():
            log.note(f"daemon {index + 1} exited by itself ({code}): restarted")
        counts = await store.views.progress()
        if settled(counts, expected):
            return True
        if opts.progress and time.monotonic() - last_print > 5:
            sys.stderr.write(progress_line(len(placed), opts.orders, counts, daemons.kills, log) + "\n")
            last_print = time.monotonic()
        await asyncio.sleep(0.5)
    return False


async def _drive(
    opts: TortureOptions,
    sb: Sandboxes,
    daemons: DaemonGroup,
    store: StorePort,
    log: ChaosLog,
    store_faults: FaultPlan | None,
    drill: RestoreDrill | None = None,
    channel: ChannelTorture | None = None,
) -> tuple[list[PlannedOrder], dict[str, Any]]:
    placed: list[PlannedOrder] = []
    async with aiohttp.ClientSession() as http:
        maker = OrderMaker(
            load_mapping_set(mapping_files(DEMO_MAPPINGS)),
            await fetch_subscribers(http, sb.billing_url),
            opts.seed,
        )
        await daemons.start()
        if channel is not None:
            await channel.prepare(http, maker)
        chaos = _chaos_tasks(opts, sb, daemons, store, log, store_faults)
        if channel is not None:
            chaos += channel.chaos(daemons, opts.placement_s, opts.seed, opts.faults, log)
        backup = [asyncio.create_task(drill.take_backup(store, log))] if drill else []
        try:
            if channel is not None:
                await channel.place(http, maker, (opts.orders, opts.rate), placed)
            else:
                await place_orders(
                    http, sb.market_url, maker, opts.orders, opts.rate, placed, pdd_url=sb.pdd_url
                )
            log.note("every order placed")
            await asyncio.gather(*chaos)
            if drill is not None:
                await drill.restore(store, daemons, placed, log)
        finally:
            for task in chaos + backup:
                task.cancel()
            await asyncio.gather(*chaos, *backup, return_exceptions=True)
        ok = await _wait_settled(opts, store, daemons, placed, log)
        log.note("settled" if ok else "timed out waiting for every line to settle")
        extra: dict[str, Any] = {"settled": ok}
        if ok and (store_faults or drill is not None):  # a bad day ends reconciled
            extra["reconcile"] = await reconcile_today(daemons.members[0].config_path, sb.env())
        if ok and opts.reversals > 0:
            extra.update(
                await reversal_phase(
                    http,
                    sb,
                    daemons,
                    store,
                    log,
                    count=opts.reversals,
                    seed=opts.seed,
                    faults=opts.faults,
                    kills=min(2, opts.kills),
                    threshold_fen=ReversalSettings().approval_threshold_fen,
                    timeout_s=min(opts.timeout_s, 180.0),
                    shop=SHOP,
                )
            )
        extra["faults"] = await faults_injected(http, sb)
        extra["records"] = await fetch_records(http, sb.market_url, sb.billing_url, sb.pdd_url)
        if channel is not None:
            extra.update(await channel.finish(extra["records"], datetime.now(CST).date(), log))
    return placed, extra


def _fault_ground(opts: TortureOptions, workdir: Path) -> AbstractAsyncContextManager[FaultGround | None]:
    """With ``--store-faults``, the database the faults can be made on; else nothing."""
    return fault_ground(workdir, opts.database) if opts.store_faults else nullcontext()


def _worst(codes: list[int | None]) -> int | None:
    """The exit code to report for the group: the first that is not 0 (None if one did not stop)."""
    if any(code is None for code in codes):
        return None
    return next((code for code in codes if code != 0), 0)


@dataclass
class TortureRun:
    """A finished run: the report, and the raw material it was computed from (for tests)."""

    report: dict[str, Any]
    orders: list[PlannedOrder]
    records: Records
    lines: list[LineRecord]
    credentials: Credentials


async def run_torture(opts: TortureOptions) -> TortureRun:
    """One torture run; ``report["ok"]`` says whether exactly-once held."""
    workdir = opts.workdir or Path(tempfile.mkdtemp(prefix="bridge-torture-"))
    log = ChaosLog()
    credentials = Credentials.random()
    async with (
        running_sandboxes(
            seed=opts.seed,
            market_knobs=TORTURE_MARKET if opts.faults else None,
            pdd_knobs=TORTURE_PDD if opts.faults else None,
            billing_knobs=_billing_knobs(opts),
            ledger_path=workdir / "billing-ledger.jsonl",
            credentials=credentials,
            receiver_knobs=HOSTILE_RECEIVER if opts.api and opts.faults else None,
        ) as sb,
        _fault_ground(opts, workdir) as ground,
    ):
        listens = [f"127.0.0.1:{free_port()}" for _ in range(opts.instances)] if opts.api else []
        members, dsn = _write_configs(
            sb, workdir, replace(opts, database=ground.daemon_dsn) if ground else opts, listens
        )
        daemons = DaemonGroup(members)
        dsn = ground.harness_dsn if ground else dsn
        store = await open_store(dsn)
        config = members[0].config_path
        drill = drill_for(opts.restore_at, opts.restore_recovery, store, dsn, config, sb.env())
        api = ApiSettings(enabled=True, listen=listens[0]) if listens else None
        channel = ChannelTorture(sb, store, api) if api is not None else None
        try:
            await refuse_used_database(store, dsn, "torture")
            try:
                placed, extra = await _drive(
                    opts,
                    sb,
                    daemons,
                    store,
                    log,
                    ground.plan(daemons, store) if ground else None,
                    drill,
                    channel,
                )
            finally:
                exit_codes = await daemons.close(grace_s=30.0)
            lines = await store.views.all_lines()
        finally:
            await store.close()
    records = extra.pop("records")
    shops = {**SHOPS, CHANNEL: "api"} if channel is not None else SHOPS
    report = verify_shops(channel.verified(placed) if channel else placed, records, lines, shops)
    report.update(extra)
    if drill is not None:
        report["restore"] = {**drill.figures, "forgotten": forgotten(placed, records, lines, SHOPS)}
    report.update(
        instances=opts.instances,
        database=make_url(dsn).get_backend_name(),
        billing_dedupe=not opts.billing_no_dedupe,
        push=opts.push,
        kills=daemons.kills,
        daemon_starts=daemons.starts,
        daemon_crashes=len(daemons.unexpected_exits),
        final_sigterm_exit=_worst(exit_codes),
        billing_restarts=log.billing_restarts,
        kills_mid_call=log.kills_mid_call,
        rate_limit_bursts=log.rate_limit_bursts,
        outage=log.outage,
        timeline=log.events,
        elapsed_s=round(time.monotonic() - log.started, 1),
        workdir=str(workdir),
        log=str(workdir / "bridge.log"),
    )
    if opts.store_faults:
        report.update(store_faults=log.store_faults, store_failing_s=FAILING_S)
    failures = ("duplicates", "lost", "wrong_reason", "bad_without_memo", "bad_delivered")
    reversal_failures = ("double_reversals", "reversals_lost", "reversals_unasked")  # with --reversals
    report["ok"] = (
        bool(report["settled"])
        and all(report[k] == 0 for k in failures)
        and all(report.get(k, 0) == 0 for k in reversal_failures)
        and (opts.reversals == 0 or "reversals_requested" in report)
        and (drill is None or (report["restore"]["forgotten"] == 0 and "restore_s" in report["restore"]))
        and (not opts.store_faults or len(log.store_faults) == len(FAULT_KINDS))
        and ("reconcile" not in report or report["reconcile"].get("disagreements") == 0)
        and bool(report.get("channel_passed", True))
    )
    (workdir / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    return TortureRun(report, placed, records, lines, credentials)


async def torture_command(opts: TortureOptions, as_json: bool) -> int:
    """``bridge torture``: run, print the figures, exit 0 only when exactly-once held.

    SIGTERM cancels the run like Ctrl-C does, so the daemons it started are stopped and reaped.
    """
    task = asyncio.current_task()
    if task is not None:
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    try:
        report = (await run_torture(opts)).report
    except asyncio.CancelledError:
        print("torture: stopped before the end; no verdict", file=sys.stderr)
        return 130
    except ValueError as exc:
        print(f"torture: {exc}", file=sys.stderr)
        return 2
    if as_json:
        print(json.dumps({k: v for k, v in report.items() if k != "timeline"}, ensure_ascii=False))
    else:
        print(format_report(report))
        for line in channel_summary(report):
            print(line)
        if "restore" in report:
            print(restore_line(report["restore"]))
    return 0 if report["ok"] else 1
