"""Edit the SKU mapping from the console: one ``[[sku]]`` table at a time, checked, kept, reloaded.

An admin's edit goes through exactly the check ``bridge mappings check``
runs (the whole file, against the catalogue); a refused edit never reaches
the disk. A saved edit is written atomically (temporary file, fsync, rename)
after the previous file is copied to ``history/`` beside it, so every
version can be compared and put back; then the daemon takes the new set and
releases the lines parked for a SKU that is now mapped. Comments and the
other tables of the file are kept as they are: only the edited table's lines
change (or a new table is appended).
"""

from __future__ import annotations

import difflib
import json
import os
import re
import tempfile
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bridge.core.mapping.planning import (
    LinePlan,
    MappingProblem,
    MappingSet,
    PlanError,
    Severity,
    build_mapping_set,
    mapping_version,
    plan_line,
)
from bridge.core.mapping.toml_lines import scan
from bridge.core.models import OrderLine
from bridge.services.deps import Deps
from bridge.services.mapping_check import CATALOGUE_FILE, SKUS_FILE, load_mapping_set
from bridge.services.mappings import release_parked

FIELDS = ("outer_sku_id", "product", "units", "delivery", "price_fen", "title")
_INT_FIELDS = frozenset({"units", "price_fen"})
_INT = re.compile(r"^-?\d{1,12}$")
HISTORY_DIR = "history"
_STAMP = "%Y%m%dT%H%M%S-%fZ"


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


def file_names(directory: Path) -> tuple[str, str]:
    return str(directory / CATALOGUE_FILE), str(directory / SKUS_FILE)


def read_texts(directory: Path) -> tuple[str, str]:
    cat, skus = file_names(directory)
    return Path(cat).read_text(encoding="utf-8-sig"), Path(skus).read_text(encoding="utf-8-sig")


def check_candidate(directory: Path, skus_text: str) -> MappingSet | list[MappingProblem]:
    """The mapping set the edited text would give, or every problem (same check as the CLI)."""
    catalogue_text, _ = read_texts(directory)
    return build_mapping_set(catalogue_text, skus_text, files=file_names(directory))


def check_edit(directory: Path, form: SkuForm, editing: str | None) -> MappingSet | list[MappingProblem]:
    """What the mapping set would be with this edit; the file on disk is not touched."""
    try:
        new_text = edit_skus_text(read_texts(directory)[1], form, editing)
    except tomllib.TOMLDecodeError as exc:
        return [MappingProblem(file_names(directory)[1], 0, "", f"the file on disk is not valid TOML: {exc}")]
    return check_candidate(directory, new_text)


def errors_of(problems: list[MappingProblem]) -> list[MappingProblem]:
    return [p for p in problems if p.severity is Severity.ERROR]


def preview(mapping: MappingSet, outer_sku_id: str, quantity: int, card_no: str) -> LinePlan | PlanError:
    """What a paid line of ``quantity`` × this SKU (at its listed price) would provision."""
    rule = mapping.skus.get(outer_sku_id)
    price = rule.price_fen if rule else 0
    title = (rule.title or "") if rule else ""
    line = OrderLine(
        1, outer_sku_id, None, title, quantity, price, price * quantity, "WAIT_SELLER_SEND_GOODS"
    )
    try:
        return plan_line("preview", 0, line, card_no, mapping)
    except PlanError as exc:
        return exc


class EditConflict(Exception):
    """The file changed since the form was opened: reload and edit again."""


def save_skus(directory: Path, new_text: str, base_version: str, now: datetime) -> Path | None:
    """Write ``new_text`` atomically, keeping the old file in ``history/``; None when unchanged.

    No ``await`` here: read, compare and replace happen in one step of the event loop.
    """
    catalogue_text, current = read_texts(directory)
    if current == new_text:
        return None
    if mapping_version(catalogue_text, current) != base_version:
        raise EditConflict(base_version)
    history = directory / HISTORY_DIR
    history.mkdir(exist_ok=True)
    # the stamp keeps digit runs short: masking (which hides 12-16 digit runs) must not touch the name
    kept = history / f"skus.{now.astimezone(UTC):{_STAMP}}.{mapping_version(catalogue_text, current)}.toml"
    kept.write_text(current, encoding="utf-8")
    target = directory / SKUS_FILE
    fd, tmp = tempfile.mkstemp(prefix=".skus.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(new_text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return kept


def _parse_stamp(stamp: str) -> datetime | None:
    try:
        return datetime.strptime(stamp, _STAMP).replace(tzinfo=UTC)
    except ValueError:
        return None


@dataclass(frozen=True)
class HistoryEntry:
    """One kept version and what changed from it to the next one (or to the live file)."""

    name: str
    replaced_at: datetime | None  # from the name; None for a file put there by hand
    version: str
    diff: list[str]


def history(directory: Path, limit: int = 30) -> list[HistoryEntry]:
    """Kept versions, newest first, each with its unified diff to its successor."""
    folder = directory / HISTORY_DIR
    kept = sorted(folder.glob("skus.*.toml")) if folder.is_dir() else []
    texts = [p.read_text(encoding="utf-8") for p in kept]
    texts.append((directory / SKUS_FILE).read_text(encoding="utf-8-sig"))
    entries = []
    for i, path in enumerate(kept):
        parts = path.name.split(".")
        stamp, version = (parts[1], parts[2]) if len(parts) == 4 else ("", "?")
        diff = difflib.unified_diff(
            texts[i].splitlines(),
            texts[i + 1].splitlines(),
            fromfile=f"{version}",
            tofile="next" if i + 1 < len(kept) else "current",
            lineterm="",
            n=2,
        )
        entries.append(HistoryEntry(path.name, _parse_stamp(stamp), version, list(diff)))
    return entries[::-1][:limit]


@dataclass(frozen=True)
class EditResult:
    """``status``: saved | unchanged | refused (problems) | conflict (file changed meanwhile)."""

    status: str
    problems: tuple[MappingProblem, ...] = ()
    released: int = 0
    version: str = ""


def _effective_editing(
    texts: tuple[str, str], form: SkuForm, editing: str | None, base_version: str
) -> str | None:
    """A "new SKU" form sent again after that SKU was saved (a double click) edits it instead,
    so an identical repeat is "unchanged" and a different one a conflict, never a duplicate."""
    if editing is not None or mapping_version(*texts) == base_version:
        return editing
    sku = form.value("outer_sku_id")
    entries = tomllib.loads(texts[1]).get("sku", [])
    return sku if any(isinstance(e, dict) and e.get("outer_sku_id") == sku for e in entries) else None


async def save_edit(
    deps: Deps, actor: str, form: SkuForm, editing: str | None, base_version: str
) -> EditResult:
    """Check, keep the old file, write, reload into ``deps`` and release parked lines; audited."""
    directory = deps.settings.mappings_dir
    detail: dict[str, object] = {"sku": form.value("outer_sku_id"), "editing": editing or ""}
    try:
        texts = read_texts(directory)
        new_text = edit_skus_text(texts[1], form, _effective_editing(texts, form, editing, base_version))
    except tomllib.TOMLDecodeError as exc:
        result = EditResult("refused", (MappingProblem(file_names(directory)[1], 0, "", str(exc)),))
        return await _audited(deps, actor, result, detail)
    candidate = check_candidate(directory, new_text)
    if not isinstance(candidate, MappingSet):
        return await _audited(deps, actor, EditResult("refused", tuple(candidate)), detail)
    try:
        kept = save_skus(directory, new_text, base_version, deps.clock())
    except EditConflict:
        return await _audited(deps, actor, EditResult("conflict"), detail)
    if kept is None:
        return await _audited(deps, actor, EditResult("unchanged", version=deps.mappings.version), detail)
    detail.update(old_version=deps.mappings.version, kept=kept.name)
    deps.mappings = load_mapping_set(directory)
    released = await release_parked(deps)
    detail.update(new_version=deps.mappings.version)
    result = EditResult("saved", candidate.warnings, released, deps.mappings.version)
    return await _audited(deps, actor, result, detail)


async def _audited(deps: Deps, actor: str, result: EditResult, detail: dict[str, object]) -> EditResult:
    outcome = {"saved": "done", "unchanged": "unchanged"}.get(result.status, "refused")
    await deps.store.add_audit(
        at=deps.clock(),
        actor=actor,
        action="mapping_save",
        outcome=outcome,
        before=str(detail.get("old_version") or deps.mappings.version),
        after=result.version or None,
        detail={
            **detail,
            "status": result.status,
            "released": result.released,
            "problems": [str(p) for p in errors_of(list(result.problems))][:20],
        },
    )
    return result
