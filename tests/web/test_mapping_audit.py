"""A mapping save and its audit entry land together: a refused entry undoes the save; a save cut
short before its entry (a crash) is found at start and audited, flagged."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import pytest

from bridge.core.mapping.edit import SkuForm
from bridge.services.mappings import flag_unaudited_saves, save_edit
from bridge.store import SqlStore
from tests.refusals import REFUSED, refuse_audit
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
