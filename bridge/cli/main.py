"""The ``bridge`` command: run the daemon, the demo, check mappings, show an order."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from bridge.core import request_ids
from bridge.core.errors import ConfigError


def _order_id(text: str) -> str:
    """A tid as the store keeps it (``bridge.core.request_ids``): digits, letters, ``.``, ``_``, ``-``."""
    if not request_ids.is_stored_id(text):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an order id (1-{request_ids.MAX_STORED_ID} of A-Z a-z 0-9 . _ -)"
        )
    return text


def _positive(text: str) -> int:
    """An argparse type: a whole number ≥ 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is below 1")
    return value


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="bridge", description="Marketplace orders → billing core, exactly once.")
    sub = p.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the daemon")
    run.add_argument("--config", type=Path, required=True, help="path to the TOML configuration")

    demo = sub.add_parser(
        "demo", help="the sandboxes and the daemon in one process, orders on a Taobao and a Pinduoduo shop"
    )
    demo.add_argument("--orders", type=int, default=None, help="place this many orders (default: endless)")
    demo.add_argument("--exit-when-done", action="store_true", help="stop once every line is settled")
    demo.add_argument("--json", action="store_true", help="print the final report as one JSON object")
    demo.add_argument("--rate", type=float, default=None, help="orders per second (default 2; 0 = at once)")
    demo.add_argument("--seed", type=int, default=7, help="random seed of the order stream")
    demo.add_argument("--listen", default="127.0.0.1:0", help="console address (default: a free port)")
    demo.add_argument(
        "--database",
        default=None,
        help="DSN of an empty database (default: a new SQLite file); the demo's orders and logins stay in it",
    )
    demo.add_argument(
        "--billing-no-dedupe",
        action="store_true",
        help="an older billing core: request_ids not deduplicated, 5%% of applies land after the timeout",
    )
    demo.add_argument(
        "--poll-only",
        action="store_true",
        help="intake by polling alone (push messages off, polling every second)",
    )
    demo.add_argument(
        "--storefronts",
        type=_storefronts,
        default=("taobao", "pinduoduo", "api"),
        help="the storefronts whose shop sells, comma-separated, of taobao, pinduoduo and api (the channel "
        "client through the order API) (default all three)",
    )

    tort = sub.add_parser("torture", help="exactly-once under SIGKILLs and faulty remotes, checked")
    tort.add_argument(
        "--orders",
        type=int,
        default=500,
        help="orders to place, dealt to a Taobao shop, a Pinduoduo shop and the channel client (default 500)",
    )
    tort.add_argument("--kills", type=int, default=10, help="SIGKILLs of the daemon (default 10)")
    tort.add_argument("--json", action="store_true", help="print the report as one JSON object")
    tort.add_argument("--seed", type=int, default=7, help="random seed of orders, kills and faults")
    tort.add_argument("--no-faults", action="store_true", help="kills only: well-behaved sandboxes")
    tort.add_argument(
        "--push", action="store_true", help="the daemons also take the marketplace's messages (push)"
    )
    tort.add_argument(
        "--instances",
        type=_positive,
        default=1,
        help="daemon processes on one database, kills spread (default 1)",
    )
    tort.add_argument(
        "--database",
        default=None,
        help="DSN of an empty database (default: a new SQLite file)",
    )
    tort.add_argument(
        "--reversals",
        type=int,
        default=10,
        help="then refund this many delivered Taobao lines, reversed under the faults (default 10; 0: none)",
    )
    tort.add_argument(
        "--store-faults",
        action="store_true",
        help="mid-run the database turns read-only, refuses connections, fills up (each ~15 s)",
    )
    tort.add_argument(
        "--billing-no-dedupe",
        action="store_true",
        help="an older billing core: request_ids not deduplicated, 5%% of applies land after the timeout",
    )
    tort.add_argument(
        "--restore-at",
        type=_positive,
        default=None,
        metavar="N",
        help="back the store up at N delivered lines, restore it later in the run, then `bridge recover`",
    )
    tort.add_argument(
        "--no-api",
        dest="api",
        action="store_false",
        help="no channel client (by default a third of the orders come through the order API, its callback "
        "receiver fails, drops, stalls and goes down, a daemon is killed with callbacks pending)",
    )

    maps = sub.add_parser("mappings", help="SKU mappings")
    maps_sub = maps.add_subparsers(dest="action", required=True)
    check = maps_sub.add_parser("check", help="check the catalogue and SKU mapping files")
    check.add_argument("--dir", type=Path, default=None, help="mappings directory (default: from --config)")
    check.add_argument("--config", type=Path, default=None, help="configuration (to ask the billing core)")

    db = sub.add_parser("db", help="the store's database")
    db_sub = db.add_subparsers(dest="action", required=True)
    upgrade = db_sub.add_parser("upgrade", help="apply the schema migrations this version needs")
    upgrade.add_argument("--config", type=Path, required=True, help="path to the TOML configuration")

    order = sub.add_parser("order", help="orders in the store")
    order_sub = order.add_subparsers(dest="action", required=True)
    show = order_sub.add_parser("show", help="the lines of a trade and their timeline")
    show.add_argument("tid", type=_order_id)
    show.add_argument("--config", type=Path, required=True)
    show.add_argument("--shop", default=None)
    show.add_argument("--lang", choices=["zh", "en"], default="zh")
    from bridge.cli.archive import add_archive_command
    from bridge.cli.console import add_console_commands  # users, exceptions
    from bridge.cli.reconcile import add_reconcile_command

    add_console_commands(sub)
    from bridge.cli.reversal import add_reverse_command  # reverse

    add_reverse_command(sub)
    add_reconcile_command(sub)
    add_archive_command(sub)
    from bridge.cli.restore import add_restore_commands  # backup, recover

    add_restore_commands(sub)
    return p


def _storefronts(text: str) -> tuple[str, ...]:
    """``--storefronts``: a comma-separated choice of taobao, pinduoduo and api, in that order."""
    named = {part.strip() for part in text.split(",") if part.strip()}
    every = ("taobao", "pinduoduo", "api")
    unknown = named - set(every)
    if unknown or not named:
        raise argparse.ArgumentTypeError(f"choose from taobao, pinduoduo, api (got {text!r})")
    return tuple(front for front in every if front in named)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return asyncio.run(_dispatch(args))
    except ConfigError as exc:
        print(f"bridge: configuration error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


async def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "run":
        from bridge.app import run_daemon
        from bridge.logs import configure_logging
        from bridge.settings import load_settings

        settings = load_settings(args.config)
        configure_logging(settings.log_level, settings.log_format)
        await run_daemon(settings)
        return 0
    if args.command == "demo":
        from bridge.lab.demo import run_demo
        from bridge.lab.sandboxes import OLD_BILLING_CORE
        from bridge.lab.verify import UsedDatabaseError

        rate = args.rate if args.rate is not None else (0.0 if args.exit_when_done else 2.0)
        try:
            return await run_demo(
                orders=args.orders,
                exit_when_done=args.exit_when_done,
                as_json=args.json,
                rate=rate,
                seed=args.seed,
                listen=args.listen,
                billing_knobs=OLD_BILLING_CORE.model_copy() if args.billing_no_dedupe else None,
                database=args.database,
                push=not args.poll_only,
                storefronts=args.storefronts,
            )
        except UsedDatabaseError as exc:
            print(f"demo: {exc}", file=sys.stderr)
            return 2
    if args.command == "torture":
        from bridge.lab.torture import TortureOptions, torture_command

        opts = TortureOptions(
            orders=args.orders,
            kills=args.kills,
            seed=args.seed,
            faults=not args.no_faults,
            instances=args.instances,
            database=args.database,
            billing_no_dedupe=args.billing_no_dedupe,
            push=args.push,
            reversals=args.reversals,
            restore_at=args.restore_at,
            store_faults=args.store_faults,
            api=args.api,
        )
        return await torture_command(opts, args.json)
    if args.command in ("users", "exceptions"):
        from bridge.cli.console import console_command

        return await console_command(args)
    if args.command == "reverse":
        from bridge.cli.reversal import reverse_command

        return await reverse_command(args)
    if args.command == "reconcile":
        from bridge.cli.reconcile import reconcile_command

        return await reconcile_command(args)
    if args.command == "archive":
        from bridge.cli.archive import archive_command

        return await archive_command(args)
    if args.command in ("backup", "recover"):
        from bridge.cli.restore import backup_command, recover_command

        return await (backup_command(args) if args.command == "backup" else recover_command(args))
    if args.command == "db":
        from bridge.cli.commands import db_upgrade

        return await db_upgrade(args.config)
    if args.command == "mappings":
        from bridge.cli.commands import mappings_check

        return await mappings_check(args.dir, args.config)
    from bridge.cli.commands import order_show

    return await order_show(args.config, args.tid, args.shop, args.lang)


if __name__ == "__main__":
    raise SystemExit(main())
