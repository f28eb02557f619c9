"""``bridge reconcile --date YYYY-MM-DD [--json] [--csv FILE]``: reconcile one day from a shell.

Runs the same service as the daily job (``bridge.services.reconcile``) on the
configured database, shops and billing core, stores the run like the job does,
prints the counts per kind and each shop with whether it was read (or, with
``--json``, one object with ``shops``: ``name``, ``storefront``, ``listed``,
``error``), and writes one CSV row per disagreement.

Exit status: 0 the day agrees; 1 there are disagreements; 2 the day could not be
reconciled at all; 3 at least one shop could not be listed (its paid lines are
unchecked; the others were reconciled and their rows are in the report). 3 wins
over 1 because the remedy differs: a person must restore the shop's access and
reconcile the day again, and a script that reads 1 as "CS, look at these rows"
must not take an unread shop for a checked one.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bridge.services.reconcile import ReconcileReport


def _day(text: str) -> date:
    """An argparse type: a calendar date written YYYY-MM-DD."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date written YYYY-MM-DD") from None


def add_reconcile_command(sub: Any) -> None:
    """Add ``reconcile`` to the ``bridge`` command's subparsers."""
    rec = sub.add_parser(
        "reconcile", help="check a day's paid lines, the bridge's lines and the billing core agree"
    )
    rec.add_argument("--date", type=_day, required=True, help="the local day (UTC+8), YYYY-MM-DD")
    rec.add_argument("--config", type=Path, required=True, help="path to the TOML configuration")
    rec.add_argument("--json", action="store_true", help="print the report as one JSON object")
    rec.add_argument("--csv", type=Path, default=None, metavar="FILE", help="write one row per disagreement")


async def reconcile_command(args: argparse.Namespace) -> int:
    from bridge.core.errors import BridgeError, ConfigError
    from bridge.core.reasons import reason_text
    from bridge.core.reconcile import by_kind, csv_text, summary
    from bridge.logs import configure_logging
    from bridge.services.reconcile import reconcile_day
    from bridge.settings import load_settings
    from bridge.wiring import build_deps

    settings = load_settings(args.config)
    configure_logging("warning", settings.log_format)  # stderr: stdout holds the report
    try:
        async with build_deps(settings) as deps:
            report = await reconcile_day(deps, args.date)
    except ConfigError:
        raise
    except BridgeError as exc:
        print(f"reconcile: {args.date.isoformat()} could not be reconciled: {exc}", file=sys.stderr)
        return 2
    rows = list(report.rows)
    if args.csv is not None:
        args.csv.write_text(csv_text(rows), encoding="utf-8")
    if args.json:
        shops = {"shops": [shop.fields() for shop in report.shops]}
        print(json.dumps(summary(args.date, rows, report.run.listing) | shops, ensure_ascii=False))
    else:
        print(f"reconciliation of {args.date.isoformat()}: {len(rows)} disagreement(s)")
        for kind, count in by_kind(rows).items():
            print(f"  {kind:<30} {count:>6}  {reason_text(kind, 'en')}")
        _print_looked_at(report)
    if not report.every_shop_listed:
        return 3
    return 1 if rows else 0


def _print_looked_at(report: ReconcileReport) -> None:
    """The human report's tail: each shop read or not, what was looked at, who was flagged."""
    from bridge.core.masking import mask_text
    from bridge.core.reconcile import LISTED

    for shop in report.shops:
        read = "listed" if shop.listed else mask_text(f"NOT LISTED ({shop.error_code}: {shop.error_message})")
        print(f"  shop {shop.shop} ({shop.storefront}): {read}")
        if not shop.listed:
            print("    its paid lines were not checked: restore its access, then reconcile the day again")
    run = report.run
    print(
        f"  looked at: {run.paid_lines} paid line(s) in the shops, {run.bridge_lines} in the bridge, "
        f"{run.looked_up} request_id(s) looked up, {run.listed} listed by the billing core"
    )
    if run.listing != LISTED:
        print(
            "  the billing core has no listing of the day (version 1.0): "
            "only the request_ids the bridge knows were checked"
        )
    if report.flagged:
        print(f"  {report.flagged} line(s) put in front of CS")
