"""The SKU-mapping editor: same check as the CLI, atomic save with history, reload, release."""

from __future__ import annotations

from pathlib import Path

from bridge.core.mapping.edit import SkuForm, edit_skus_text
from bridge.core.states import LineState
from tests.rig import line
from tests.web.conftest import Desk

NEW = {
    "outer_sku_id": "TV-NEW-555",
    "product": "CH-FYZQ",
    "units": "3",
    "delivery": "topup",
    "price_fen": "600",
    "title": "风云足球 3个月 新链接",
    "editing": "",
}


def _skus(desk: Desk) -> str:
    return desk.deps.mapping_files.read_texts()[1]


def _kept(desk: Desk) -> list[Path]:
    """The files in the mappings' history folder."""
    return list(Path(desk.deps.settings.mappings_dir, "history").iterdir())


async def _parked(desk: Desk) -> int:
    """A paid line for TV-NEW-555, parked as UNMAPPED_SKU."""
    tid = await desk.rig.order(line("TV-NEW-555", "6.00"), message=(await desk.rig.cards())[5])
    await desk.rig.cycle()
    [ln] = await desk.rig.lines(tid)
    assert ln.reason == "UNMAPPED_SKU"
    return tid


def test_editing_a_table_changes_only_its_lines() -> None:
    """Comments and the other tables stay; the edited keys are rewritten in place."""
    text = (
        '# head\n\n[[sku]]\nouter_sku_id = "A"\nproduct = "P"  # why\nunits = 1\n\n'
        '[[sku]]\nouter_sku_id = "B"\n'
    )
    form = SkuForm("A", "Q", "2", "topup", "400", "标题")
    edited = edit_skus_text(text, form, "A")
    assert edited.startswith('# head\n\n[[sku]]\nouter_sku_id = "A"\nproduct = "Q"\nunits = 2\n')
    assert 'title = "标题"' in edited and edited.endswith('[[sku]]\nouter_sku_id = "B"\n')


def test_a_new_mapping_is_appended_as_a_table() -> None:
    """A SKU not in the file becomes a new [[sku]] table at its end."""
    text = '[[sku]]\nouter_sku_id = "A"\n'
    edited = edit_skus_text(text, SkuForm("N", "P", "1", "card", "100"), None)
    assert edited.endswith(
        '\n\n[[sku]]\nouter_sku_id = "N"\nproduct = "P"\nunits = 1\ndelivery = "card"\nprice_fen = 100\n'
    )


async def test_saving_a_mapping_releases_the_parked_orders_and_they_deliver(desk: Desk) -> None:
    """Save → file written, mapping in force, the parked line provisioned and delivered."""
    tid = await _parked(desk)
    await desk.login("admin1")
    resp = await desk.post(
        "/mappings/edit", {**NEW, "op": "save", "base_version": desk.deps.runtime.mappings.version}
    )
    assert resp.status == 303 and "done:mapping_saved" in resp.headers["Location"]
    assert "n=1" in resp.headers["Location"]
    assert desk.deps.runtime.mappings.skus.get("TV-NEW-555") is not None
    await desk.rig.cycle()
    [ln] = await desk.rig.lines(tid)
    assert ln.state is LineState.DELIVERED
    [op] = await desk.rig.ledger(tid)
    assert (op["product_code"], op["months"]) == ("CH-FYZQ", 3)


async def test_saving_keeps_the_previous_file_in_history(desk: Desk) -> None:
    """The old skus.toml is kept byte for byte; the history page shows the diff and who saved."""
    before = _skus(desk)
    await desk.login("admin1")
    await desk.post(
        "/mappings/edit", {**NEW, "op": "save", "base_version": desk.deps.runtime.mappings.version}
    )
    [kept] = _kept(desk)
    assert kept.read_text("utf-8") == before
    html = await (await desk.client.get("/mappings/history")).text()
    assert "+outer_sku_id = &#34;TV-NEW-555&#34;" in html and "admin1 于" in html


async def test_a_broken_edit_is_refused_with_file_line_and_field(desk: Desk) -> None:
    """A price that does not match the product is named like the CLI names it; nothing is written."""
    before = _skus(desk)
    await desk.login("admin1")
    resp = await desk.post(
        "/mappings/edit",
        {**NEW, "price_fen": "500", "op": "save", "base_version": desk.deps.runtime.mappings.version},
    )
    html = await resp.text()
    assert resp.status == 200 and "skus.toml:" in html and ".price_fen: 500 fen" in html
    assert _skus(desk) == before


async def test_preview_shows_what_a_sample_order_provisions_and_writes_nothing(desk: Desk) -> None:
    """Two items of a 3-month SKU: one subscribe operation of 6 months; the file is untouched."""
    before = _skus(desk)
    await _parked(desk)
    await desk.login("admin1")
    resp = await desk.post(
        "/mappings/edit",
        {**NEW, "op": "preview", "sample_qty": "2", "base_version": desk.deps.runtime.mappings.version},
    )
    html = await resp.text()
    assert "订购「风云足球」6 个月" in html and "1 个子订单保存后会自动开通" in html
    assert _skus(desk) == before


async def test_a_save_over_a_changed_file_is_refused(desk: Desk) -> None:
    """Someone else saved meanwhile: the stale form does not overwrite their change."""
    await desk.login("admin1")
    resp = await desk.post("/mappings/edit", {**NEW, "op": "save", "base_version": "000000000000"})
    assert "在您编辑期间被修改过" in await resp.text()
    assert desk.deps.runtime.mappings.skus.get("TV-NEW-555") is None


async def test_saving_the_same_mapping_twice_changes_nothing_the_second_time(desk: Desk) -> None:
    """A double click on save: one history entry, the second save reports no change."""
    await desk.login("admin1")
    version = desk.deps.runtime.mappings.version
    await desk.post("/mappings/edit", {**NEW, "op": "save", "base_version": version})
    second = await desk.post("/mappings/edit", {**NEW, "op": "save", "base_version": version})
    assert "unchanged:mapping_unchanged" in second.headers["Location"]
    assert len(_kept(desk)) == 1


async def test_inbox_groups_parked_lines_by_sku(desk: Desk) -> None:
    """The admin sees the SKU, how many orders wait and a button to map it."""
    await _parked(desk)
    await _parked(desk)
    await desk.login("admin1")
    html = await (await desk.client.get("/mappings")).text()
    assert "TV-NEW-555" in html and "/mappings/edit?new=TV-NEW-555" in html
    [item] = await desk.deps.store.unmapped_inbox()
    assert (item.outer_sku_id, item.parked, item.price_fen) == ("TV-NEW-555", 2, 600)
