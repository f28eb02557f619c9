"""CS's own note in an order's seller note, written from the console (audited).

A person types a note on the order page; it is added below the note's text on
the storefront, the bridge's own sections kept and re-rendered from the lines'
states (``core.memos.follow``, which also fits the whole note to the storefront's
rule: the bridge's text gives way first, then CS's oldest text). The note alone
must keep the storefront's length rule (``StorefrontPort.notes``: bytes on
Taobao, characters on Pinduoduo): a longer one is refused, with the limit and
its own size, before any call to the storefront.
"""

from __future__ import annotations

from bridge.core.errors import BridgeError
from bridge.core.memos import follow
from bridge.core.records import LineRecord
from bridge.core.trades import NoteRules
from bridge.services.after_call import record_after_call
from bridge.services.audit import Outcome, OutcomeStatus
from bridge.services.deps import Deps

__all__ = ["ACTION", "NOTE_FIELD_MAX", "add_note", "too_long"]

ACTION = "note"
NOTE_FIELD_MAX = 4000
"""Characters of the note field read at most (longer input is refused as too long, never cut)."""


def too_long(rules: NoteRules, text: str) -> Outcome | None:
    """The refusal of ``text`` longer than ``rules`` allow: the limit broken and the note's size in its unit
    (``m`` the limit, ``n`` the size); None when it fits."""
    if rules.max_bytes is not None and len(text.encode("utf-8")) > rules.max_bytes:
        size = {"m": str(rules.max_bytes), "n": str(len(text.encode("utf-8")))}
        return Outcome(OutcomeStatus.REFUSED, "note.too_long_bytes", params=size)
    if rules.max_chars is not None and len(text) > rules.max_chars:
        size = {"m": str(rules.max_chars), "n": str(len(text))}
        return Outcome(OutcomeStatus.REFUSED, "note.too_long_chars", params=size)
    return None


async def add_note(deps: Deps, actor: str, shop: str, tid: str, text: str) -> Outcome:
    """Add ``text`` to the order's seller note on its storefront; refused before any call when it is empty,
    the order unknown, or the note longer than the storefront allows."""
    market = deps.shops.get(shop)
    lines = await deps.store.delivery.lines_of_tid(shop, tid) if market is not None else []
    if market is None or not lines:
        return Outcome(OutcomeStatus.REFUSED, "note.no_order")
    text = text.strip()
    refused = Outcome(OutcomeStatus.REFUSED, "note.empty") if not text else too_long(market.notes, text)
    if refused is not None:
        await _audit(deps, actor, refused, lines[0], text)
        return refused
    try:
        trade = await market.get_trade(tid)
        before = trade.note or ""
        wanted = follow(f"{before}\n{text}" if before else text, trade.note_severity, lines, market.notes)
        await market.annotate(tid, wanted.memo, wanted.flag)
    except BridgeError as exc:
        failed = Outcome(OutcomeStatus.REFUSED, "note.failed", params={"k": str(exc)[:80]})
        await record_after_call(_audit(deps, actor, failed, lines[0], text))
        return failed
    done = Outcome(OutcomeStatus.DONE, "note.added")
    await record_after_call(_audit(deps, actor, done, lines[0], text))
    return done


async def _audit(deps: Deps, actor: str, outcome: Outcome, line: LineRecord, text: str) -> None:
    """The audit row (under the order's first line, so the order page lists it); the note kept to 200."""
    await deps.store.console.add_audit(
        at=deps.clock(),
        actor=actor,
        action=ACTION,
        outcome=outcome.status.value,
        line=line,
        note=text[:200] or None,
        detail={"code": outcome.code, **outcome.params},
    )
