"""A mapping file refused for dropping too much, as the mapping page shows it: an admin confirms it."""

from __future__ import annotations

from pathlib import Path

from bridge.services.mappings import reload_mappings
from tests.web.conftest import Desk


async def _cut_to_three(desk: Desk) -> str:
    """The SKU file cut to its first 3 tables and reloaded (refused); the refused version."""
    path = Path(desk.deps.settings.mappings_dir) / "skus.toml"
    head, *tables = path.read_text(encoding="utf-8").split("\n[[sku]]\n")
    path.write_text(head + "".join("\n[[sku]]\n" + t for t in tables[:3]), "utf-8")
    assert not await reload_mappings(desk.deps)
    assert desk.deps.runtime.mappings_pending is not None
    return desk.deps.runtime.mappings_pending


async def test_the_mapping_page_shows_the_refused_file_and_its_reason(desk: Desk) -> None:
    """Everyone sees the refusal, its reason and the refused version."""
    pending = await _cut_to_three(desk)
    await desk.login("cs1")
    html = await (await desk.client.get("/mappings")).text()
    assert "新的映射文件未生效" in html and pending in html and "drops" in html
    assert 'action="/mappings/accept"' not in html


async def test_an_admin_confirms_the_refused_file(desk: Desk) -> None:
    """The admin's confirmation puts the refused version in force and the banner goes."""
    pending = await _cut_to_three(desk)
    await desk.login("admin1")
    assert 'action="/mappings/accept"' in await (await desk.client.get("/mappings")).text()
    assert (await desk.post("/mappings/accept")).status == 303
    assert desk.deps.runtime.mappings.version == pending
    assert "新的映射文件未生效" not in await (await desk.client.get("/mappings")).text()


async def test_cs_cannot_confirm_a_refused_file(desk: Desk) -> None:
    """Only an admin may confirm: CS gets 403 and the old set stays."""
    before = desk.deps.runtime.mappings.version
    await _cut_to_three(desk)
    await desk.login("cs1")
    assert (await desk.post("/mappings/accept")).status == 403
    assert desk.deps.runtime.mappings.version == before


async def test_the_dashboard_points_to_a_refused_file(desk: Desk) -> None:
    """The dashboard's next steps name the refusal and link to the mapping page."""
    await _cut_to_three(desk)
    await desk.login("cs1")
    html = await (await desk.client.get("/")).text()
    assert 'href="/mappings#refused"' in html and "drops 65 of 68 SKUs" in html
