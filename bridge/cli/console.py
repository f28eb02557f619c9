"""``bridge users add`` and ``bridge exceptions list|show|retry|resolve``: the console from a shell.

For scripts and SSH sessions: the same services as the web console
(``bridge.services.cs_actions``), the same audit log, the same words (the console's
catalogue, ``--lang zh|en``). Heavy modules are imported inside the
commands so that ``bridge --help`` stays instant.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bridge.core.records import LineRecord
    from bridge.services.cs_actions import Outcome
    from bridge.services.deps import Deps
    from bridge.web.i18n import Translator


def add_console_commands(sub: Any) -> None:
    """Add ``users`` and ``exceptions`` to the ``bridge`` command's subparsers."""
    users = sub.add_parser("users", help="console accounts").add_subparsers(dest="action", required=True)
    add = users.add_parser("add", help="create an account (the password is asked for)")
    add.add_argument("name")
    add.add_argument("--role", choices=["cs", "admin"], required=True)
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin (scripts)")
    add.add_argument("--config", type=Path, required=True)

    exc = sub.add_parser("exceptions", help="order lines waiting for a person")
    ex = exc.add_subparsers(dest="action", required=True)
    ls = ex.add_parser("list", help="the exception queue, oldest first")
    ls.add_argument("--reason", default=None)
    ls.add_argument("--shop", default=None)
    ls.add_argument("--search", default=None, help="tid/oid, buyer nickname or a card's last 4 digits")
    ls.add_argument("--json", action="store_true", help="one JSON object per line")
    show = ex.add_parser("show", help="one line: what happened, what to do, who did what")
    show.add_argument("line_id", type=int)
    retry = ex.add_parser(
        "retry", help="provision lines again (own request_ids: never twice); several ids: one audit batch"
    )
    retry.add_argument("line_id", type=int, nargs="+")
    resolve = ex.add_parser("resolve", help="settle a line by hand (nothing provisioned)")
    resolve.add_argument("line_id", type=int)
    resolve.add_argument("--resolution", required=True, help="HANDLED_AT_HALL, PROVISIONED_BY_HAND, ...")
    resolve.add_argument("--note", required=True)
    for p in (ls, show, retry, resolve):
        p.add_argument("--config", type=Path, required=True)
        p.add_argument("--lang", choices=["zh", "en"], default="zh")
    for p in (retry, resolve):
        p.add_argument("--as", dest="actor", default=None, help="who acts (default: cli:<login name>)")
    retry.add_argument("--note", default="")
    retry.add_argument(
        "--wait",
        type=float,
        default=30.0,
        help="several ids: wait up to this many seconds for the running daemon to settle them (default 30)",
    )


async def console_command(args: argparse.Namespace) -> int:
    if args.command == "users":
        return await users_add(args.config, args.name, args.role, args.password_stdin)
    from bridge.settings import load_settings
    from bridge.web.i18n import Translator
    from bridge.wiring import build_deps

    settings = load_settings(args.config)
    async with build_deps(settings) as deps:
        t = Translator(args.lang, deps.clock())
        if args.action == "list":
            return await exceptions_list(deps, t, args.reason, args.shop, args.search, args.json)
        if args.action == "show":
            return await exceptions_show(deps, t, args.line_id)
        actor = args.actor or f"cli:{getpass.getuser()}"
        if args.action == "retry" and len(set(args.line_id)) > 1:
            from bridge.services.batches import retry_lines, settle

            acted = await retry_lines(deps, actor, args.line_id, args.note)
            outcomes = acted.outcomes
            for outcome in outcomes:
                print(_outcome_line(t, outcome))
            tally = await settle(deps, acted.batch, timeout_s=args.wait)
            print(t("batch.result_retry", done=tally.done, again=tally.again, gone=tally.gone), end="")
            print("" if tally.settled else f" · {t('batch.acting', n=tally.moving)}")
            return 0 if all(not o.refused for o in outcomes) else 1
        elif args.action == "retry":
            from bridge.services.cs_actions import retry

            outcomes = [await retry(deps, actor, args.line_id[0], args.note)]
        else:
            from bridge.services.cs_actions import resolve

            outcomes = [await resolve(deps, actor, args.line_id, args.resolution, args.note)]
        for outcome in outcomes:
            print(_outcome_line(t, outcome))
        return 0 if all(not o.refused for o in outcomes) else 1


async def users_add(config: Path, name: str, role: str, from_stdin: bool) -> int:
    from bridge.services.accounts import AccountError, account_note, add_user
    from bridge.settings import load_settings
    from bridge.store import open_store

    password = sys.stdin.readline().rstrip("\n") if from_stdin else _ask_password()
    store = await open_store(load_settings(config).database)
    try:
        from bridge.services.deps import utc_now

        now = utc_now()
        audit = account_note(now, f"cli:{getpass.getuser()}", "add", name)
        await add_user(store.accounts, name, role, password, now, audit)
    except AccountError as exc:
        print(f"bridge users add: refused: {exc.code}", file=sys.stderr)
        return 1
    finally:
        await store.close()
    print(f"account {name} ({role}) created")
    return 0


def _ask_password() -> str:
    first = getpass.getpass("password: ")
    if first != getpass.getpass("again: "):
        print("bridge users add: the two passwords differ", file=sys.stderr)
        raise SystemExit(1)
    return first


def _outcome_line(t: Translator, outcome: Outcome) -> str:
    where = f"line {outcome.line.id} (tid {outcome.line.tid})" if outcome.line else "-"
    p = outcome.params.get("reason") or outcome.params.get("state") or outcome.params.get("lengths", "")
    shown = t.reason(p) if outcome.params.get("reason") else t.state(p) if outcome.params.get("state") else p
    text = t(f"outcome.{outcome.code}", p=shown) if t.has(f"outcome.{outcome.code}") else outcome.code
    return f"{outcome.status:<9} {where}: {text}"


async def exceptions_list(
    deps: Deps, t: Translator, reason: str | None, shop: str | None, search: str | None, as_json: bool
) -> int:
    from bridge.core.records import QueueFilter

    rows, total = await deps.store.queue.queue(QueueFilter(reason=reason, shop=shop, q=search), limit=1000)
    for row in rows:
        ln = row.line
        item = {
            "line_id": ln.id,
            "waiting": t.age(row.since),
            "shop": ln.shop,
            "tid": ln.tid,
            "oid": ln.oid,
            "buyer": row.buyer_nick,
            "sku": ln.outer_sku_id,
            "quantity": ln.quantity,
            "amount": t.money(ln.payment_fen),
            "card": t.card(ln.card_no),
            "reason": ln.reason,
            "reason_text": t.reason(ln.reason),
        }
        if as_json:
            print(json.dumps(item, ensure_ascii=False))
        else:
            print("  ".join(str(v) for v in item.values()))
    if not as_json:
        print(f"{len(rows)} of {total}", file=sys.stderr)
    return 0


async def exceptions_show(deps: Deps, t: Translator, line_id: int) -> int:
    line = await deps.store.console.line_by_id(line_id)
    if line is None:
        print(f"no line {line_id}", file=sys.stderr)
        return 1
    print(_describe(t, line))
    for a in reversed(await deps.store.console.audit_entries(tid=line.tid, limit=50)):
        if a.line_id in (None, line.id):
            print(
                f"  {t.when(a.at, True)} {a.actor} {a.action} {a.before or ''}→{a.after or ''} {a.outcome}"
                + (f" · {a.note}" if a.note else "")
            )
    return 0


def _describe(t: Translator, ln: LineRecord) -> str:
    key = f"next.{ln.reason}" if ln.state.value == "EXCEPTION" else f"next_state.{ln.state.value}"
    return "\n".join(
        [
            f"line {ln.id} · shop {ln.shop} · tid {ln.tid} · oid {ln.oid} · {t.state(ln.state.value)}",
            f"  {ln.outer_sku_id} × {ln.quantity} · {t.money(ln.payment_fen)} · card {t.card(ln.card_no)}"
            f" · mapping {ln.mapping_version or '-'} · attempts {ln.attempts}",
            f"  {ln.reason or ''} {t.reason(ln.reason)}",
            f"  → {t(key) if t.has(key) else t('next.NONE')}",
        ]
    )
