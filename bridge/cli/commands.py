"""Bodies of the one-shot CLI commands (``db upgrade``, ``mappings check``, ``order show``)."""

from __future__ import annotations

import sys
from pathlib import Path

from bridge.core.masking import mask_card, mask_text
from bridge.core.money import fen_to_yuan
from bridge.core.reasons import reason_text
from bridge.lab import DEMO_MAPPINGS
from bridge.services.mapping_check import check_mappings
from bridge.settings import load_settings
from bridge.store import head_revision, open_store
from bridge.wiring import billing_only, mapping_files


async def db_upgrade(config: Path) -> int:
    """Bring the configured database's schema to the newest revision (a fresh one is created)."""
    settings = load_settings(config)
    store = await open_store(settings.database, settings.store, upgrade=True)
    await store.close()
    print(f"database schema is at revision {head_revision()}")
    return 0


async def mappings_check(directory: Path | None, config: Path | None) -> int:
    """Report every problem with file, line and field; exit 1 on any error."""
    settings = load_settings(config) if config else None
    files = mapping_files(directory or (settings.mappings_dir if settings else DEMO_MAPPINGS))
    if settings is None:
        report = await check_mappings(files, None)
    else:
        async with billing_only(settings) as billing:
            report = await check_mappings(files, billing)
    print(report.format())
    return 0 if report.ok else 1


async def order_show(config: Path, tid: str, shop: str | None, lang: str) -> int:
    settings = load_settings(config)
    store = await open_store(settings.database)
    try:
        trades = await store.views.find_trades(tid, shop)
        if not trades:
            print(f"no trade {tid} in the store", file=sys.stderr)
            return 1
        for trade in trades:
            lines, events = await store.views.trade_story(trade)
            print(
                f"trade {trade.tid} · shop {trade.shop} · {trade.status} · buyer {trade.buyer_nick} · "
                f"paid {fen_to_yuan(trade.payment_fen)} · delivery {trade.delivery_state}"
                + (f" ({trade.delivery_error})" if trade.delivery_error else "")
            )
            for ln in lines:
                card = mask_card(ln.card_no) if ln.card_no else "-"
                why = f" · {ln.reason}: {reason_text(ln.reason, lang)}" if ln.reason else ""
                print(
                    f"  line {ln.oid} · {ln.outer_sku_id} × {ln.quantity} · {fen_to_yuan(ln.payment_fen)} · "
                    f"card {card} · {ln.state.value}{why} · mapping {ln.mapping_version or '-'}"
                )
            print("  timeline:")
            for ev in events:
                move = f"{ev.from_state or ''}→{ev.to_state}" if ev.to_state else ""
                detail = mask_text(str(ev.detail)) if ev.detail else ""
                print(
                    f"    {ev.at.isoformat(timespec='milliseconds')} {ev.kind:<16} {move:<22} "
                    f"{ev.oid or '':<20} {ev.actor} {detail}"
                )
    finally:
        await store.close()
    return 0
