"""One order's page: its lines with what a person may do, the header's summary and the card form.

``order_page`` renders it for the GET and, with a ``CardForm``, for a card
correction that was refused: the page comes back with the number as typed and
the reason at the field (no redirect, so the number never travels in a URL).
The header says what the lines need (a line waiting for a person is never
"in progress"); the "submitted" notice of a correction shows only while a line
is still moving, and the page reloads itself only then.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bridge.core.ceilings import CEILING_REASONS
from bridge.core.inflight import may_be_applied
from bridge.core.mapping import requires_card_no
from bridge.core.masking import mask_text
from bridge.core.records import LineRecord, TradeRecord
from bridge.core.states import BUSY, CANCELLABLE, NEEDS_A_PERSON, REFRESHABLE, DeliveryState, LineState
from bridge.services.cs_actions import RESOLUTIONS, Outcome
from bridge.services.cs_notes import NOTE_FIELD_MAX
from bridge.services.deps import Deps
from bridge.services.planning import card_rule, order_line
from bridge.web import deadlines
from bridge.web.drafts import DRAFTS_KEY
from bridge.web.i18n import Translator
from bridge.web.render import deps_of, page, translator
from bridge.web.timeline import present

__all__ = ["CARD_FIELD_MAX", "CardForm", "card_error", "order_page", "order_summary"]

LINES_PER_PAGE = 100
"""Lines shown on one page of an order (a trade of any size costs a page's worth)."""
TIMELINE_EVENTS = 200
"""The newest events of the order's timeline shown on its page."""

CARD_FIELD_MAX = 40
"""Characters of the card field kept (room for spaces and hyphens between the digits)."""


@dataclass(frozen=True)
class CardForm:
    """The card form of one line as the person left it: the value typed, the error at the field."""

    line_id: int
    value: str
    note: str = ""
    error: str = ""


def card_error(t: Translator, outcome: Outcome) -> str:
    """The refusal of a card correction in words for the field ("" when it was not refused)."""
    if not outcome.refused:
        return ""
    code, params = outcome.code, outcome.params
    if code == "card_format":
        prefixes = params.get("prefixes", "")
        if prefixes:
            return t("cardfix.format_prefix", lengths=params.get("lengths", ""), prefixes=prefixes)
        return t("cardfix.format", lengths=params.get("lengths", ""))
    if code == "card_inactive":
        status = params.get("status", "")
        key = f"subscriber_status.{status}"
        return t("cardfix.inactive", status=t(key) if t.has(key) else t("subscriber_status.other"))
    if code == "plan_failed":
        return t("outcome.plan_failed", p=t.reason(params.get("reason")))
    for key in (f"cardfix.{code}", f"outcome.{code}"):
        if t.has(key):
            return t(key)
    return t("cardfix.refused_other")


def order_summary(states: Sequence[LineState], delivery: str) -> tuple[str, int]:
    """The order's state in one word (a catalogue key under ``summary.``) and how many lines it counts.

    A line waiting for a person comes first: such an order is never "in progress".
    """
    waiting = sum(state in NEEDS_A_PERSON for state in states)
    if waiting:
        return "needs_person", waiting
    if delivery == DeliveryState.UNREADABLE:  # never read well: no lines yet, CS checks the shop
        return "unreadable", 0
    busy = sum(state in BUSY for state in states)
    if busy or delivery == DeliveryState.DUE:
        return "moving", busy
    if delivery == DeliveryState.DELIVERED:
        return "delivered", len(states)
    return "finished", len(states)


def _line_view(deps: Deps, line: LineRecord, form: CardForm | None) -> dict[str, Any]:
    """What the order page needs to know about one line beyond its record."""
    waiting = line.state is LineState.EXCEPTION
    replannable = waiting and line.reason not in CEILING_REASONS  # above a ceiling: an admin's approval
    maybe_credited = any(may_be_applied(op.state) for op in line.operations)
    return {
        "line": line,
        "needs_card": replannable and requires_card_no(order_line(line), deps.runtime.mappings),
        "card_form": form if form is not None and form.line_id == line.id else None,
        "can_retry": replannable,
        "can_resolve": waiting,
        "can_cancel": line.state in CANCELLABLE and not maybe_credited,
        "can_reverse": line.state in CANCELLABLE and maybe_credited,
        "can_refresh": bool(line.card_no) and line.state in REFRESHABLE,
        "ops": [
            {"part": op.part, "request_id": op.request_id, "kind": op.kind, "state": op.state}
            for op in line.operations
        ],
    }


def _page_number(request: web.Request) -> int:
    """``?page=`` as a page number from 1 (anything else: the first page)."""
    text = request.query.get("page", "1")
    return max(1, int(text)) if text.isdigit() and len(text) < 7 else 1


def _pager(address: str, page_no: int, lines_total: int) -> dict[str, Any]:
    """The page's place among the order's pages of lines, and the links to its neighbours."""
    pages = max(1, -(-lines_total // LINES_PER_PAGE))
    return {
        "page_no": page_no,
        "pages": pages,
        "prev_link": f"{address}?page={page_no - 1}" if page_no > 1 else None,
        "next_link": f"{address}?page={page_no + 1}" if page_no < pages else None,
    }


def _draft_form(request: web.Request) -> CardForm | None:
    """The card a person typed before their session ran out (``?draft=`` after signing in)."""
    token = request.query.get("draft", "")
    draft = request.app[DRAFTS_KEY].find(token) if token else None
    if draft is None:
        return None
    return CardForm(draft.line_id, draft.card, draft.note)


async def order_page(
    request: web.Request, trade: TradeRecord, form: CardForm | None = None, status: int = 200
) -> web.Response:
    deps = deps_of(request)
    t = translator(request)
    page_no = _page_number(request)
    story = await deps.store.views.trade_page(
        trade, page=page_no, per_page=LINES_PER_PAGE, timeline=TIMELINE_EVENTS
    )
    lines = story.lines
    audit = await deps.store.console.audit_entries(tid=trade.tid, limit=100)
    states = [state for state, n in story.counts.items() for _ in range(n)]
    summary, count = order_summary(states, trade.delivery_state)
    moving = summary == "moving"
    rule = card_rule(deps, trade.shop)
    address = f"/orders/{trade.shop}/{trade.tid}"
    # the page may answer a POST (a refused correction): its links and forms name the order's address
    context: dict[str, Any] = {"path": address, "here": address if form is not None else request.path_qs}
    if request.query.get("msg") == "done:queued" and not moving:
        context["msg"] = None  # the correction went through: the lines say the rest
    return page(
        request,
        "order.html",
        status=status,
        nav="queue",
        trade=trade,
        buyer_message=mask_text(trade.buyer_message or ""),
        lines=[_line_view(deps, line, form or _draft_form(request)) for line in lines],
        summary=summary,
        summary_count=count,
        timeline=present(t, list(story.events)),
        timeline_total=story.events_total,
        counts=sorted(story.counts.items(), key=lambda kv: kv[0].value),
        lines_total=story.lines_total,
        **_pager(address, page_no, story.lines_total),
        audit=audit,
        resolutions=RESOLUTIONS,
        moving=moving,
        reloads=moving and form is None,  # reloading the answer to a POST would send it again
        card_lengths="/".join(str(n) for n in rule.lengths),
        card_prefixes="/".join(rule.prefixes),
        card_field_max=CARD_FIELD_MAX,
        due=deadlines.clocked(deps, lines, deps.clock()),
        note_rules=deps.shops[trade.shop].notes if trade.shop in deps.shops else None,
        note_field_max=NOTE_FIELD_MAX,
        callbacks=await deps.store.api_callbacks.order_callbacks(trade.shop, trade.tid),  # a channel's order
        **context,
    )
