"""A mapping save and its audit entry land together: a refused entry undoes the save; a save cut
short before its entry (a crash) is found at start and audited, flagged."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

import pytest

from bridge.core.mapping.edit import CONTINUED, SkuForm
from bridge.core.states import LineState
from bridge.services.mappings import flag_unaudited_saves, reload_mappings, save_edit
from bridge.store import SqlStore
from tests.refusals import REFUSED, refuse_audit
from tests.rig import line, with_role
from tests.web.conftest import Desk

NEW = SkuForm("TV-NEW-555", "CH-FYZQ", "3", "topup", "600", "风云足球 3个月 新链接")


def _history(desk: Desk) -> list[Path]:
    folder = Path(desk.deps.settings.mappings_dir, "history")
    return sorted(folder.iterdir()) if folder.is_dir() else []


async def test_a_save_whose_audit_row_is_refused_leaves_the_file_and_the_mapping_as_they_were(
    desk: Desk,
) -> None:
    """The database refuses the save's entry: the SKU file is back as it was, no version is kept,
    and the mapping in force is the old one."""
    before, version = desk.deps.mapping_files.read_texts(), desk.deps.runtime.mappings.version
    await refuse_audit(cast(SqlStore, desk.deps.store).engine, "mapping_save")
    with pytest.raises(REFUSED):
        await save_edit(desk.deps, "admin1", NEW, None, version, confirmed=True)
    assert desk.deps.mapping_files.read_texts() == before
    assert _history(desk) == []
    assert desk.deps.runtime.mappings.version == version


async def test_a_save_lands_with_its_audit_row_naming_the_kept_version(desk: Desk) -> None:
    """Normally both: the new version in force, and one entry old → new naming the kept file."""
    old = desk.deps.runtime.mappings.version
    result = await save_edit(desk.deps, "admin1", NEW, None, old, confirmed=True)
    [kept] = _history(desk)
    [entry] = await desk.deps.store.console.audit_entries(action="mapping_save")
    assert (entry.outcome, entry.before, entry.after) == ("done", old, result.version)
    assert (entry.detail or {})["kept"] == kept.name


async def test_a_kept_version_with_no_audit_row_is_audited_at_start_flagged(desk: Desk) -> None:
    """A save whose entry never came (the bridge died between the file and the entry) is found by
    its kept version and audited, flagged; a second look finds nothing more."""
    old = desk.deps.runtime.mappings.version
    kept = desk.deps.mapping_files.save_skus(
        desk.deps.mapping_files.read_texts()[1] + "\n# by hand\n", old, desk.deps.clock()
    )
    assert await flag_unaudited_saves(desk.deps) == [kept]
    [entry] = await desk.deps.store.console.audit_entries(action="mapping_save")
    assert (entry.detail or {})["code"] == "unaudited_save" and (entry.detail or {})["kept"] == kept
    assert await flag_unaudited_saves(desk.deps) == []


class _EntryHeld:
    """The console role, with a mapping save's audit entry held until ``go`` is set."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.entered, self.go = asyncio.Event(), asyncio.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def add_audit(self, **entry: Any) -> None:
        if entry.get("action") == "mapping_save":
            self.entered.set()
            await self.go.wait()
        await self._inner.add_audit(**entry)


async def test_a_reload_during_a_save_waits_and_the_save_reports_the_lines_it_freed(desk: Desk) -> None:
    """The reload job runs while a save is writing its entry (the new file already on disk): it
    waits for the save, which takes the new set itself and reports the parked line it released."""
    tid = await desk.rig.order(line("TV-NEW-555", "6.00"), message=(await desk.rig.cards())[5])
    await desk.rig.cycle()
    [parked] = await desk.rig.lines(tid)
    assert parked.reason == "UNMAPPED_SKU"
    held = _EntryHeld(desk.deps.store.console)
    deps = replace(desk.deps, store=with_role(desk.deps.store, "console", held))
    version = deps.runtime.mappings.version
    saving = asyncio.create_task(save_edit(deps, "admin1", NEW, None, version, confirmed=True))
    await held.entered.wait()
    reloading = asyncio.create_task(reload_mappings(deps))
    await asyncio.wait({reloading}, timeout=1.0)
    assert not reloading.done()  # it waits for the save's writer lock
    held.go.set()
    result = await saving
    assert await reloading is False  # the save took the new set: nothing left to reload
    assert (result.released, result.parked) == (1, ((CONTINUED, 1),))
    [ln] = await desk.rig.lines(tid)
    assert ln.state is LineState.READY
