"""A mapping reload that drops too much waits for an admin: the SKUs in force stay until one confirms.

A SKU file cut to 3 of its 68 SKUs is valid TOML and passes every check; taken
over, it would park every paid order of the other 65. Dropping a single SKU
whose paid line is on its way would strand that line. Both are refused loudly
(the reason kept for the dashboard) and the old set stays in force until an
admin accepts the very version refused, audited.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

from structlog.testing import capture_logs

from bridge.core.states import LineState
from bridge.lab import DEMO_MAPPINGS
from bridge.services.intake import poll_all
from bridge.services.mapping_guard import accept_pending
from bridge.services.mappings import reload_mappings
from bridge.store import MappingDir
from tests.rig import Rig, line

_SKU = "TV-RC-0100"


def _copy_mappings(rig: Rig, tmp: Path) -> Path:
    target = tmp / "mappings"
    shutil.copytree(DEMO_MAPPINGS, target)
    settings = rig.deps.settings.model_copy(update={"mappings_dir": target})
    rig.deps = replace(rig.deps, settings=settings, mapping_files=MappingDir(target))
    return target


def _keep(mappings: Path, keep: int | None = None, drop: str | None = None) -> None:
    """Rewrite skus.toml with its first ``keep`` [[sku]] tables, or without ``drop``'s table."""
    path = mappings / "skus.toml"
    head, *tables = path.read_text(encoding="utf-8").split("\n[[sku]]\n")
    if drop is not None:
        tables = [t for t in tables if f'outer_sku_id = "{drop}"' not in t]
    path.write_text(head + "".join("\n[[sku]]\n" + t for t in tables[:keep]), "utf-8")


async def test_a_file_cut_to_3_of_68_skus_is_refused_and_the_old_set_stays(rig: Rig, tmp_path: Path) -> None:
    """reload_mappings keeps the 68 SKUs in force, logs the refusal and keeps its reason."""
    mappings = _copy_mappings(rig, tmp_path)
    before = rig.deps.runtime.mappings
    assert len(before.skus.rules) == 68
    _keep(mappings, keep=3)
    with capture_logs() as logs:
        assert not await reload_mappings(rig.deps)
    assert rig.deps.runtime.mappings is before
    assert "drops 65 of 68 SKUs" in (rig.deps.runtime.mappings_refused or "")
    assert any(e["event"] == "mappings_refused" and e["log_level"] == "error" for e in logs)


async def test_a_file_dropping_a_sku_with_a_line_in_flight_is_refused(rig: Rig, tmp_path: Path) -> None:
    """One SKU dropped while its paid line is READY: refused, and the line is still provisioned."""
    mappings = _copy_mappings(rig, tmp_path)
    tid = await rig.order(line(_SKU), message=(await rig.cards())[20])
    await poll_all(rig.deps)
    assert [ln.state for ln in await rig.lines(tid)] == [LineState.READY]
    _keep(mappings, drop=_SKU)
    assert not await reload_mappings(rig.deps)
    assert (
        _SKU in (rig.deps.runtime.mappings_refused or "") and "in flight" in rig.deps.runtime.mappings_refused
    )
    await rig.cycle()
    assert [ln.state for ln in await rig.lines(tid)] == [LineState.DELIVERED]


async def test_a_file_dropping_a_sku_nothing_waits_for_takes_over(rig: Rig, tmp_path: Path) -> None:
    """Dropping one SKU with no paid line on its way is an ordinary reload."""
    mappings = _copy_mappings(rig, tmp_path)
    _keep(mappings, drop=_SKU)
    assert await reload_mappings(rig.deps)
    assert rig.deps.runtime.mappings.skus.get(_SKU) is None
    assert rig.deps.runtime.mappings_refused is None


async def test_an_admin_confirming_takes_the_refused_set_audited(rig: Rig, tmp_path: Path) -> None:
    """accept_pending puts the refused version in force and writes its audit entry."""
    mappings = _copy_mappings(rig, tmp_path)
    _keep(mappings, keep=3)
    await reload_mappings(rig.deps)
    pending = rig.deps.runtime.mappings_pending
    assert await accept_pending(rig.deps, "admin1")
    assert rig.deps.runtime.mappings.version == pending
    assert len(rig.deps.runtime.mappings.skus.rules) == 3
    assert rig.deps.runtime.mappings_refused is None
    [entry] = await rig.deps.store.console.audit_entries(action="mapping_accept", limit=5)
    assert (entry.actor, entry.outcome, entry.after) == ("admin1", "done", pending)


async def test_a_confirmation_never_takes_a_file_changed_since(rig: Rig, tmp_path: Path) -> None:
    """The files changed again after the refusal: the confirmation takes nothing (audited as refused)."""
    mappings = _copy_mappings(rig, tmp_path)
    before = rig.deps.runtime.mappings.version
    _keep(mappings, keep=3)
    await reload_mappings(rig.deps)
    _keep(mappings, keep=2)
    assert not await accept_pending(rig.deps, "admin1")
    assert rig.deps.runtime.mappings.version == before
    [entry] = await rig.deps.store.console.audit_entries(action="mapping_accept", limit=5)
    assert entry.outcome == "refused"
