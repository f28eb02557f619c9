"""Mappings change under a running bridge: a good edit takes effect and releases parked lines,
a broken edit is refused loudly and the previous mappings stay in force."""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from bridge.core.states import LineState
from bridge.lab import DEMO_MAPPINGS
from bridge.services.mappings import reload_mappings
from bridge.store import MappingDir
from tests.rig import Rig, line

NEW_SKU = """
[[sku]]
outer_sku_id = "TV-NEW-FYZQ-2M"
product = "CH-FYZQ"
units = 2
delivery = "topup"
price_fen = 400
"""


def _copy_mappings(rig: Rig, tmp: Path) -> Path:
    target = tmp / "mappings"
    shutil.copytree(DEMO_MAPPINGS, target)
    settings = rig.deps.settings.model_copy(update={"mappings_dir": target})
    rig.deps = replace(rig.deps, settings=settings, mapping_files=MappingDir(target))
    return target


async def test_new_mapping_releases_parked_lines(rig: Rig, tmp_path: Path) -> None:
    """An order for an unmapped SKU waits in EXCEPTION; once an admin maps the SKU, it is provisioned."""
    mappings = _copy_mappings(rig, tmp_path)
    card = (await rig.cards())[20]
    tid = await rig.order(line("TV-NEW-FYZQ-2M", "4.00"), message=card)
    await rig.cycle()
    assert (await rig.lines(tid))[0].reason == "UNMAPPED_SKU"
    with (mappings / "skus.toml").open("a", encoding="utf-8") as f:
        f.write(NEW_SKU)
    assert await reload_mappings(rig.deps)
    await rig.cycle()
    [ln] = await rig.lines(tid)
    assert ln.state is LineState.DELIVERED and ln.mapping_version == rig.deps.runtime.mappings.version
    [op] = await rig.ledger(tid)
    assert (op["product_code"], op["months"]) == ("CH-FYZQ", 2)


async def test_broken_mapping_is_refused_and_the_old_one_stays(rig: Rig, tmp_path: Path) -> None:
    """A typo in the file does not stop fulfilment: the previous version keeps working."""
    mappings = _copy_mappings(rig, tmp_path)
    before = rig.deps.runtime.mappings.version
    text = (mappings / "skus.toml").read_text(encoding="utf-8")
    (mappings / "skus.toml").write_text(
        text.replace('product = "RC-0100"', 'prodcut = "RC-0100"', 1), "utf-8"
    )
    assert not await reload_mappings(rig.deps)
    assert rig.deps.runtime.mappings.version == before
    card = (await rig.cards())[21]
    tid = await rig.order(line(), message=card)
    await rig.cycle()
    assert (await rig.lines(tid))[0].state is LineState.DELIVERED


def test_mappings_check_points_at_file_line_and_field(tmp_path: Path) -> None:
    """`bridge mappings check` on a typo names the file, the line and the field, and exits non-zero."""
    target = tmp_path / "mappings"
    shutil.copytree(DEMO_MAPPINGS, target)
    skus = target / "skus.toml"
    lines = skus.read_text(encoding="utf-8").splitlines()
    index = next(i for i, text in enumerate(lines) if text.startswith('product = "RC-0100"'))
    lines[index] = 'prodcut = "RC-0100"'
    skus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "bridge.cli", "mappings", "check", "--dir", str(target)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 1
    assert f"skus.toml:{index + 1}:" in run.stdout and "prodcut" in run.stdout
    assert 'did you mean "product"' in run.stdout


def test_shipped_mappings_pass_the_check() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "bridge.cli", "mappings", "check", "--dir", str(DEMO_MAPPINGS)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
