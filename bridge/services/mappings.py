"""The live mapping set: load it, reload it when the files change, save a console edit.

This module is the one writer of ``deps.runtime.mappings``, one change at a time
(``runtime.mapping_writer``): the reload job never takes a console save's new file
while the save is still writing its audit entry, so the save itself takes the new
set and releases (and reports) the parked lines it frees. A broken file is
refused loudly and the previous set stays in force; a new set releases the
lines parked in EXCEPTION for a SKU that is now mapped. A valid set that drops more
than half the SKUs, or a SKU with paid lines in flight, is refused just as loudly
(kept in ``runtime.mappings_refused``) until an admin confirms it
(``services.mapping_guard``). An admin's edit goes
through exactly the check ``bridge mappings check`` runs (the whole file,
against the catalogue); a refused edit never reaches the disk.

A saved edit and its audit entry land together or not at all. The file cannot
join a database transaction, so the order decides: the new version is written
(atomically, the old one kept under ``history/``), then its audit entry at once;
if the entry cannot be written the save is undone (``put_back``) before the
error goes on, so nothing else (the new set, parked lines) saw it. The lines it
released and how they planned are added to that entry afterwards
(``amend_audit``). Only a crash between the file and the entry can leave a save
with no entry; only a console save keeps a version under ``history/``, so
``flag_unaudited_saves`` finds such a version at start and audits it, flagged.
"""

from __future__ import annotations

import tomllib
from dataclasses import replace

import structlog

from bridge.core.errors import ConfigError
from bridge.core.mapping import (
    MappingProblem,
    MappingSet,
    PlanError,
    build_mapping_set,
    checked_set,
    mapping_version,
    plan_line,
)
from bridge.core.mapping.edit import (
    CONTINUED,
    STILL_WAITING,
    EditConflict,
    EditResult,
    SkuForm,
    counted,
    edit_skus_text,
    effective_editing,
    errors_of,
)
from bridge.core.mapping.guard import refusal
from bridge.core.records import AuditNote, LineRecord
from bridge.core.states import IN_FLIGHT, LineState
from bridge.ports import MappingFilesPort
from bridge.services.audit import write_alone
from bridge.services.deps import Deps
from bridge.services.planning import order_line, plan_lines

log = structlog.get_logger("bridge.services.mappings")


def load_mapping_set(files: MappingFilesPort) -> MappingSet:
    """The checked mapping set of ``files``; raises ``ConfigError`` listing every problem."""
    stamp = files.stamp()
    return replace(checked_set(files.read_texts(), files.names()), file_stamp=stamp)


def reload_if_changed(files: MappingFilesPort, current: MappingSet | None) -> MappingSet | None:
    """A new mapping set when ``files`` changed and are valid, else None.

    Raises ``ConfigError`` when they changed but are broken: the caller keeps
    ``current`` in force and logs the error loudly (again on every call until
    the files are fixed or put back). A cheap stamp (mtime, size) decides
    whether to read the files at all; the content hash decides whether they
    really changed, so a ``touch`` is not a change. ``current=None`` always loads.
    """
    stamp = files.stamp()
    if current is not None and stamp == current.file_stamp:
        return None
    texts = files.read_texts()
    if current is not None and mapping_version(*texts) == current.version:
        return None
    return replace(checked_set(texts, files.names()), file_stamp=stamp)


async def reload_mappings(deps: Deps, *, accept: str | None = None) -> bool:
    """Returns True when a new mapping set took effect. A set that drops too much waits for a
    person (``core.mapping.guard``) unless its version is ``accept`` (what they confirmed)."""
    async with deps.runtime.mapping_writer:
        return await _reload(deps, accept)


async def _reload(deps: Deps, accept: str | None) -> bool:
    try:
        fresh = reload_if_changed(deps.mapping_files, deps.runtime.mappings)
    except ConfigError as exc:
        log.error("mappings_refused", error=str(exc), keeping=deps.runtime.mappings.version)
        return False
    if fresh is None:
        return False
    old = deps.runtime.mappings.version
    why = refusal(deps.runtime.mappings, fresh, await deps.store.lines.skus_in(IN_FLIGHT))
    if why is not None and fresh.version != accept:
        deps.runtime.mappings_refused, deps.runtime.mappings_pending = why, fresh.version
        log.error("mappings_refused", error=why, pending=fresh.version, keeping=old)
        return False
    deps.runtime.mappings_refused = deps.runtime.mappings_pending = None
    deps.runtime.mappings = fresh
    log.info("mappings_reloaded", old=old, new=fresh.version)
    await release_parked(deps)
    return True


SAMPLE_CARD = "8371000000001234"
"""The card a preview plans a parked line to (never sent anywhere)."""


async def release_parked(deps: Deps) -> list[LineRecord]:
    """Lines in EXCEPTION for an unmapped SKU that is now mapped go back to RECEIVED (the ones
    moved are returned, as they were read)."""
    released: list[LineRecord] = []
    for line in await deps.store.lines.lines_in([LineState.EXCEPTION], limit=100_000):
        if line.reason != "UNMAPPED_SKU" or deps.runtime.mappings.skus.get(line.outer_sku_id) is None:
            continue
        if await deps.store.moves.release_parked(
            line, mapping_version=deps.runtime.mappings.version, now=deps.clock(), actor=deps.owner
        ):
            released.append(line)
    if released:
        log.info("parked_lines_released", count=len(released))
    return released


async def parked_outcomes(deps: Deps, mapping: MappingSet, outer_sku_id: str) -> tuple[tuple[str, int], ...]:
    """How the lines parked for ``outer_sku_id`` would plan under ``mapping`` (to a sample card):
    ``CONTINUED`` or the reason they would still need a person, counted."""
    outcomes: list[str] = []
    for line in await deps.store.console.parked_lines(outer_sku_id):
        try:
            plan_line(line.shop, line.tid, order_line(line), SAMPLE_CARD, mapping)
        except PlanError as exc:
            outcomes.append(exc.reason.value)
        else:
            outcomes.append(CONTINUED)
    return counted(outcomes)


async def replan_released(deps: Deps, released: list[LineRecord]) -> tuple[tuple[str, int], ...]:
    """Plan the released lines now (the pipeline's own planner) and count what really became of
    each: ``CONTINUED`` (READY or further), the reason it is back in EXCEPTION for, or
    ``STILL_WAITING`` when another instance has it in hand."""
    fresh = [await deps.store.console.line_by_id(line.id) for line in released]
    waiting = [line for line in fresh if line is not None and line.state is LineState.RECEIVED]
    if waiting:
        await plan_lines(deps, [(None, line) for line in waiting])
    outcomes: list[str] = []
    for line in released:
        now = await deps.store.console.line_by_id(line.id)
        if now is None or now.state is LineState.RECEIVED:
            outcomes.append(STILL_WAITING)
        elif now.state is LineState.EXCEPTION:
            outcomes.append(now.reason or LineState.EXCEPTION.value)
        else:
            outcomes.append(CONTINUED)
    return counted(outcomes)


def check_edit(
    files: MappingFilesPort, form: SkuForm, editing: str | None
) -> MappingSet | list[MappingProblem]:
    """What the mapping set would be with this edit; the files are not touched."""
    catalogue_text, skus_text = files.read_texts()
    try:
        new_text = edit_skus_text(skus_text, form, editing)
    except tomllib.TOMLDecodeError as exc:
        message = f"the file on disk is not valid TOML: {exc}"
        return [MappingProblem(files.names()[1], 0, "", message, code="file_invalid")]
    return build_mapping_set(catalogue_text, new_text, files=files.names())


async def save_edit(
    deps: Deps, actor: str, form: SkuForm, editing: str | None, base_version: str, *, confirmed: bool = False
) -> EditResult:
    """Check, keep the old file, write, take the new set, release the parked lines and plan them;
    audited. Unless ``confirmed``, an edit under which this SKU's parked lines would still fail
    is not saved: the result is ``confirm`` with how they would plan."""
    files = deps.mapping_files
    detail: dict[str, object] = {"sku": form.value("outer_sku_id"), "editing": editing or ""}
    try:
        texts = files.read_texts()
        new_text = edit_skus_text(texts[1], form, effective_editing(texts, form, editing, base_version))
    except tomllib.TOMLDecodeError as exc:
        problem = MappingProblem(files.names()[1], 0, "", str(exc), code="file_invalid")
        result = EditResult("refused", (problem,))
        return await _audited(deps, actor, result, detail)
    candidate = build_mapping_set(texts[0], new_text, files=files.names())
    if not isinstance(candidate, MappingSet):
        return await _audited(deps, actor, EditResult("refused", tuple(candidate)), detail)
    if not confirmed:
        would = await parked_outcomes(deps, candidate, form.value("outer_sku_id"))
        if any(what != CONTINUED for what, _ in would):
            return EditResult("confirm", candidate.warnings, parked=would)
    async with deps.runtime.mapping_writer:
        return await _save(deps, actor, new_text, base_version, candidate, detail, confirmed)


async def _save(
    deps: Deps,
    actor: str,
    new_text: str,
    base_version: str,
    candidate: MappingSet,
    detail: dict[str, object],
    confirmed: bool,
) -> EditResult:
    """Write the file, its audit entry, take the new set, release and plan the parked lines."""
    files = deps.mapping_files
    try:
        kept = files.save_skus(new_text, base_version, deps.clock())
    except EditConflict:
        return await _audited(deps, actor, EditResult("conflict"), detail)
    version = deps.runtime.mappings.version
    if kept is None:
        return await _audited(deps, actor, EditResult("unchanged", version=version), detail)
    detail.update(old_version=version, kept=kept)
    entry = await _audited_save(deps, actor, EditResult("saved", version=candidate.version), detail, kept)
    deps.runtime.mappings = load_mapping_set(files)
    released = await release_parked(deps)
    outcomes = await replan_released(deps, released)
    detail.update(new_version=deps.runtime.mappings.version, confirmed=confirmed, outcomes=dict(outcomes))
    version = deps.runtime.mappings.version
    result = EditResult("saved", candidate.warnings, len(released), version, outcomes)
    await deps.store.console.amend_audit(entry, _note(deps, actor, result, detail), after=result.version)
    return result


async def _audited_save(
    deps: Deps, actor: str, saved: EditResult, detail: dict[str, object], kept: str
) -> AuditNote:
    """The saved edit's audit entry, written right after the file; when it cannot be written, the
    save is undone (the kept version put back) before the error goes on: both or neither."""
    entry = _note(deps, actor, saved, {**detail, "new_version": saved.version, "confirmed": False})
    written = False
    try:
        await _write(deps, entry, detail, saved)
        written = True
    finally:
        if not written:
            deps.mapping_files.put_back(kept)
    return entry


async def flag_unaudited_saves(deps: Deps) -> list[str]:
    """Kept versions (only a console save keeps one) whose save has no audit entry: a save cut
    short between the file and its entry (a crash). Each is audited now, flagged
    ``unaudited_save``, under this instance's name; the kept names, oldest first."""
    kept = [entry.name for entry in deps.mapping_files.history()]
    if not kept:
        return []
    saves = await deps.store.console.audit_entries(action="mapping_save", limit=1000)
    named = {str((e.detail or {}).get("kept")) for e in saves}
    missing = [name for name in reversed(kept) if name not in named]
    for name in missing:
        log.warning("mapping_save_unaudited", kept=name)
        await deps.store.console.add_audit(
            at=deps.clock(),
            actor=deps.owner,
            action="mapping_save",
            outcome="done",
            detail={"kept": name, "status": "saved", "code": "unaudited_save"},
        )
    return missing


async def _audited(deps: Deps, actor: str, result: EditResult, detail: dict[str, object]) -> EditResult:
    """An edit that changed no file, audited alone."""
    await _write(deps, _note(deps, actor, result, detail), detail, result)
    return result


def _note(deps: Deps, actor: str, result: EditResult, detail: dict[str, object]) -> AuditNote:
    outcome = {"saved": "done", "unchanged": "unchanged"}.get(result.status, "refused")
    full = {
        **detail,
        "status": result.status,
        "released": result.released,
        "problems": [str(p) for p in errors_of(list(result.problems))][:20],
    }
    return AuditNote(deps.clock(), actor, "mapping_save", outcome, None, full)


async def _write(deps: Deps, entry: AuditNote, detail: dict[str, object], result: EditResult) -> None:
    before = str(detail.get("old_version") or deps.runtime.mappings.version)
    await write_alone(deps, entry, None, before, result.version or None)
