"""An order's timeline for people: what happened, in words, with the engineers' details folded away.

``present(t, events)`` turns the store's event rows (their details already
masked) into entries the order page shows: the event's name, the line, the
state change, who did it (系统 for the daemon, whose owner id reads like
``demo:24481``; the person's name for console users; ``cli:name`` as the name
and the command line) and the facts worth reading with labels from the
catalogue: amounts in yuan, times in China Standard Time, yes / no, statuses
named. Everything else — request ids, the payload as sent, error texts,
unknown keys — goes into ``technical`` for the page's details toggle, so no
field name of the database ever reaches the readable part.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bridge.core.records import EventRecord
from bridge.web.i18n import Translator

__all__ = ["Actor", "Entry", "Field", "actor_of", "present"]


@dataclass(frozen=True)
class Field:
    """One labelled fact: ``label`` in the page's language, ``value`` ready to show."""

    label: str
    value: str


@dataclass(frozen=True)
class Actor:
    """Who did it: ``name`` to show, and whether a person did (``person``) or the daemon."""

    name: str
    person: bool


@dataclass(frozen=True)
class Entry:
    """One row of the timeline as shown."""

    at: str
    what: str
    oid: str
    change: str
    actor: Actor
    fields: tuple[Field, ...]
    technical: tuple[Field, ...]


CLI_PREFIX = "cli:"


def actor_of(t: Translator, actor: str) -> Actor:
    """系统 for the daemon (owner ids are ``instance:tag``), else the person's name."""
    if actor.startswith(CLI_PREFIX) and len(actor) > len(CLI_PREFIX):
        return Actor(t("timeline.actor_cli", name=actor[len(CLI_PREFIX) :]), True)
    if ":" in actor or not actor:
        return Actor(t("timeline.actor_system"), False)
    return Actor(actor, True)


def _money(t: Translator, value: Any) -> str:
    return t.money(value) if isinstance(value, int) and not isinstance(value, bool) else str(value)


def _yes_no(t: Translator, value: Any) -> str:
    return t("timeline.yes") if value else t("timeline.no")


def _time(t: Translator, value: Any) -> str:
    try:
        at = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return t.when(at, True) if at.tzinfo is not None else str(value)


def _date(t: Translator, value: Any) -> str:
    return str(value)[:10]


def _card(t: Translator, value: Any) -> str:
    return t.card(str(value)) if value else "—"


def _named(section: str) -> Callable[[Translator, Any], str]:
    """A code shown by its name in ``section`` of the catalogue (the code itself when unnamed)."""

    def name(t: Translator, value: Any) -> str:
        key = f"{section}.{value}"
        return t(key) if t.has(key) else str(value)

    return name


def _plain(t: Translator, value: Any) -> str:
    return str(value)


_READABLE: dict[str, Callable[[Translator, Any], str]] = {
    "sku": _plain,
    "product": _plain,
    "product_code": _plain,
    "quantity": _plain,
    "months": _plain,
    "count": _plain,
    "payment_fen": _money,
    "amount_fen": _money,
    "face_value_fen": _money,
    "balance_fen": _money,
    "card": _card,
    "card_no": _card,
    "previous_card": _card,
    "kind": _named("opkind"),
    "valid_until": _date,
    "next_at": _time,
    "counted": _yes_no,
    "refund": _yes_no,
    "closed": _yes_no,
    "maybe_credited": _yes_no,
    "refund_status": _named("refund_status"),
    "resolution": _named("resolution"),
    "outcome": _named("delivery_outcome"),
    "trade_status": _named("trade_status"),
    "flag": _named("memo_flag"),
    "note": _plain,
    "text": _plain,
}
"""Detail keys people read, each with how its value is shown (its label: ``timeline.field.<key>``)."""

_NESTED = ("payload",)
"""Details whose own keys are read too (the operation as sent); the whole stays in ``technical``."""


def _shown(value: Any) -> str:
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _fields(t: Translator, detail: Mapping[str, Any]) -> tuple[list[Field], list[Field]]:
    readable: list[Field] = []
    technical: list[Field] = []
    for key, value in detail.items():
        show = _READABLE.get(key)
        if show is not None and value not in (None, "") and t.has(f"timeline.field.{key}"):
            readable.append(Field(t(f"timeline.field.{key}"), show(t, value)))
            continue
        if key in _NESTED and isinstance(value, Mapping):
            inner, _ = _fields(t, value)
            readable += inner
        if value not in (None, ""):
            technical.append(Field(key, _shown(value)))
    return readable, technical


def _entry(t: Translator, event: EventRecord) -> Entry:
    readable, technical = _fields(t, event.detail if isinstance(event.detail, Mapping) else {})
    if event.detail is not None and not isinstance(event.detail, Mapping):
        technical.append(Field("detail", _shown(event.detail)))
    if event.reason:
        readable.insert(0, Field(t("timeline.field.reason"), t.reason(event.reason)))
    kind = f"event.{event.kind}"
    change = ""
    if event.to_state:
        before = t.state(event.from_state) if event.from_state else ""
        change = f"{before} → {t.state(event.to_state)}" if before else t.state(event.to_state)
    return Entry(
        at=t.when(event.at, True),
        what=t(kind) if t.has(kind) else t("timeline.other_event"),
        oid=str(event.oid) if event.oid else "",
        change=change,
        actor=actor_of(t, event.actor),
        fields=tuple(readable),
        technical=(Field("kind", event.kind), *technical) if not t.has(kind) else tuple(technical),
    )


def present(t: Translator, events: Iterable[EventRecord]) -> list[Entry]:
    """The timeline's entries, in the order given (the store's: oldest first)."""
    return [_entry(t, event) for event in events]
