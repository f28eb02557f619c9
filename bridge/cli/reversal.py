"""``bridge reverse LINE_ID``: a reversal after delivery from a shell, as the console's order page does it.

    bridge reverse 42 --config bridge.toml                     CS requests the reversal
    bridge reverse 42 --approve --as admin.wang --config ...   an admin approves it
    bridge reverse 42 --reject "买家撤销" --as admin.wang ...   an admin rejects it, with the reason
    bridge reverse 42 --settle "营业厅已退现金" --config ...      settled by hand (cannot be reversed)

The same services (``bridge.services.reversals``), the same audit log, the same
words (``--lang``). Approving and rejecting need ``--as`` naming an enabled admin
account of the console. Exit 0 when something was done or nothing needed doing,
1 when refused.
"""

from __future__ import annotations

import argparse
import getpass
from pathlib import Path
from typing import Any


def add_reverse_command(sub: Any) -> None:
    rev = sub.add_parser("reverse", help="reverse a refunded line's billing operations (after delivery)")
    rev.add_argument("line_id", type=int)
    how = rev.add_mutually_exclusive_group()
    how.add_argument("--approve", action="store_true", help="approve a requested reversal (admins)")
    how.add_argument("--reject", metavar="REASON", default=None, help="reject a requested reversal (admins)")
    how.add_argument("--settle", metavar="NOTE", default=None, help="settled outside the bridge: RESOLVED")
    rev.add_argument("--note", default="", help="a note for the audit log")
    rev.add_argument("--as", dest="actor", default=None, help="who acts (default: cli:<login name>)")
    rev.add_argument("--config", type=Path, required=True)
    rev.add_argument("--lang", choices=["zh", "en"], default="zh")


async def reverse_command(args: argparse.Namespace) -> int:
    from bridge.cli.console import _outcome_line
    from bridge.services import reversals
    from bridge.settings import load_settings
    from bridge.web.i18n import Translator
    from bridge.wiring import build_deps

    settings = load_settings(args.config)
    async with build_deps(settings) as deps:
        t = Translator(args.lang, deps.clock())
        actor = args.actor or f"cli:{getpass.getuser()}"
        account = await deps.store.accounts.user_by_name(actor) if args.actor else None
        admin = account is not None and account.role == "admin" and not account.disabled
        if args.approve:
            outcome = await reversals.approve(deps, actor, args.line_id, admin=admin, note=args.note)
        elif args.reject is not None:
            outcome = await reversals.reject(deps, actor, args.line_id, admin=admin, reason=args.reject)
        elif args.settle is not None:
            outcome = await reversals.settle_by_hand(deps, actor, args.line_id, args.settle)
        else:
            outcome = await reversals.request(deps, actor, args.line_id, args.note)
        print(_outcome_line(t, outcome))
        return 1 if outcome.refused else 0
