"""The console's SKU editor, pure: one ``[[sku]]`` table of the text replaced or appended.

An admin's edit must go through exactly the check ``bridge mappings check``
runs, and must keep the file's comments and every other table as they are:
only the edited table's lines change (or a new table is appended). This
module turns a form into the new file text, previews what a sample order
would provision, and names the outcomes; reading, writing and keeping
history live in ``bridge.store.mapping_files``, the live set in
``bridge.services.mappings``.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from datetime import datetime

from bridge.core.mapping.checked import MappingSet, mapping_version
from bridge.core.mapping.files import MappingProblem, Severity
from bridge.core.mapping.planning import LinePlan, PlanError, plan_line
from bridge.core.mapping.toml_lines import scan
from bridge.core.trades import OrderLine, OrderState

FIELDS = ("outer_sku_id", "product", "units", "delivery", "price_fen", "title")
_INT_FIELDS = frozenset({"units", "price_fen"})
_INT = re.compile(r"^-?\d{1,12}$")


@dataclass(frozen=True)
class SkuForm:
    """The form's fields as typed (numbers still text: the check reports bad ones)."""

    outer_sku_id: str
    product: str
    units: str
    delivery: str
    price_fen: str
    title: str = ""

    def value(self, key: str) -> str:
        return str(getattr(self, key)).strip()


def _toml_value(key: str, raw: str) -> str:
    if key in _INT_FIELDS and _INT.match(raw):
        return str(int(raw))
    return json.dumps(raw, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def _table_text(form: SkuForm) -> list[str]:
    keys = [k for k in FIELDS if k != "title" or form.value("title")]
    return ["[[sku]]", *(f"{k} = {_toml_value(k, form.value(k))}" for k in keys)]


def edit_skus_text(text: str, form: SkuForm, editing: str | None) -> str:
    """``text`` with the ``[[sku]]`` of ``editing`` replaced by ``form`` (appended when absent)."""
    entries = tomllib.loads(text).get("sku", [])
    index = next(
        (i for i, e in enumerate(entries) if isinstance(e, dict) and e.get("outer_sku_id") == editing),
        None,
    )
    lines = text.split("\n")
    if editing is None or index is None:
        body = text.rstrip("\n")
        return body + "\n\n" + "\n".join(_table_text(form)) + "\n"
    table = scan(text).table("sku", index)
    replaced: dict[int, str | None] = {}
    for key in FIELDS:
        where = table.keys.get(key)
        wanted = form.value(key)
        if where is not None:
            replaced[where] = None if key == "title" and not wanted else f"{key} = {_toml_value(key, wanted)}"
    missing = [k for k in FIELDS if k not in table.keys and (k != "title" or form.value("title"))]
    last = max(table.keys.values(), default=table.header)
    out: list[str] = []
    for number, line in enumerate(lines, start=1):
        if number in replaced:
            if replaced[number] is not None:
                out.append(str(replaced[number]))
        else:
            out.append(line)
        if number == last:
            out.extend(f"{k} = {_toml_value(k, form.value(k))}" for k in missing)
    return "\n".join(out)


def errors_of(problems: list[MappingProblem]) -> list[MappingProblem]:
    return [p for p in problems if p.severity is Severity.ERROR]


def preview(mapping: MappingSet, outer_sku_id: str, quantity: int, card_no: str) -> LinePlan | PlanError:
    """What a paid line of ``quantity`` × this SKU (at its listed price) would provision."""
    rule = mapping.skus.get(outer_sku_id)
    price = rule.price_fen if rule else 0
    title = (rule.title or "") if rule else ""
    line = OrderLine("1", outer_sku_id, None, title, quantity, price, price * quantity, OrderState.PAID)
    try:
        return plan_line("preview", "0", line, card_no, mapping)
    except PlanError as exc:
        return exc


class EditConflict(Exception):
    """The file changed since the form was opened: reload and edit again."""


@dataclass(frozen=True)
class HistoryEntry:
    """One kept version and what changed from it to the next one (or to the live file)."""

    name: str
    replaced_at: datetime | None  # from the name; None for a file put there by hand
    version: str
    diff: list[str]


CONTINUED = "OK"
"""The outcome of a parked line that plans under the new mapping (any other outcome is a reason code)."""
STILL_WAITING = "RECEIVED"
"""A released line not planned yet (another instance holds it): it plans within moments."""


@dataclass(frozen=True)
class EditResult:
    """``status``: saved | unchanged | refused (problems) | conflict (file changed meanwhile) |
    confirm (the parked lines of this SKU would still fail: saving needs an explicit yes).

    ``parked``: for ``confirm``, how the parked lines would plan (``CONTINUED`` or a reason,
    counted); for ``saved``, how the released lines really planned after the save.
    """

    status: str
    problems: tuple[MappingProblem, ...] = ()
    released: int = 0
    version: str = ""
    parked: tuple[tuple[str, int], ...] = ()

    @property
    def continued(self) -> int:
        return dict(self.parked).get(CONTINUED, 0)

    @property
    def still(self) -> tuple[tuple[str, int], ...]:
        """The outcomes other than ``CONTINUED``: the reasons lines still wait for, counted."""
        return tuple((what, n) for what, n in self.parked if what != CONTINUED)


def counted(outcomes: list[str]) -> tuple[tuple[str, int], ...]:
    """``["OK", "AMOUNT_MISMATCH", "OK"]`` → ``(("OK", 2), ("AMOUNT_MISMATCH", 1))``: continued
    first, then the reasons by code."""
    tally: dict[str, int] = {}
    for what in outcomes:
        tally[what] = tally.get(what, 0) + 1
    return tuple(sorted(tally.items(), key=lambda item: (item[0] != CONTINUED, item[0])))


def effective_editing(
    texts: tuple[str, str], form: SkuForm, editing: str | None, base_version: str
) -> str | None:
    """A "new SKU" form sent again after that SKU was saved (a double click) edits it instead,
    so an identical repeat is "unchanged" and a different one a conflict, never a duplicate."""
    if editing is not None or mapping_version(*texts) == base_version:
        return editing
    sku = form.value("outer_sku_id")
    entries = tomllib.loads(texts[1]).get("sku", [])
    return sku if any(isinstance(e, dict) and e.get("outer_sku_id") == sku for e in entries) else None
