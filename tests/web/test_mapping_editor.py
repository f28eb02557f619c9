"""The SKU-mapping editor: same check as the CLI in the admin's words, prices in yuan, products that
fit the price, atomic save with history, reload, release, and a save message that tells the truth."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from bridge.core.mapping.edit import SkuForm, edit_skus_text
from bridge.core.states import LineState
from tests.rig import line
from tests.web.conftest import Desk

NEW = {
    "outer_sku_id": "TV-NEW-555",
    "product": "CH-FYZQ",
    "units": "3",
    "delivery": "topup",
    "price": "6",
    "title": "风云足球 3个月 新链接",
    "editing": "",
}


def _skus(desk: Desk) -> str:
    return desk.deps.mapping_files.read_texts()[1]


def _kept(desk: Desk) -> list[Path]:
    """The files in the mappings' history folder."""
    return list(Path(desk.deps.settings.mappings_dir, "history").iterdir())


async def _parked(desk: Desk, price: str = "6.00") -> int:
    """A paid line for TV-NEW-555, parked as UNMAPPED_SKU."""
    tid = await desk.rig.order(line("TV-NEW-555", price), message=(await desk.rig.cards())[5])
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
    """Save → file written, mapping in force, the parked line planned at once and delivered."""
    tid = await _parked(desk)
    await desk.login("admin1")
    resp = await desk.post(
        "/mappings/edit", {**NEW, "op": "save", "base_version": desk.deps.runtime.mappings.version}
    )
    assert resp.status == 303 and resp.headers["Location"] == "/mappings?saved=OK:1"
    assert desk.deps.runtime.mappings.skus.get("TV-NEW-555") is not None
    [ln] = await desk.rig.lines(tid)
    assert ln.state is LineState.READY
    html = await (await desk.client.get(resp.headers["Location"])).text()
    assert "映射已保存并生效。1 个子订单已继续开通。" in html
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


async def test_a_broken_edit_is_refused_naming_the_sku_its_row_and_field_in_chinese(desk: Desk) -> None:
    """A price that does not match the product: the SKU, its row and the field, in yuan, no file."""
    before = _skus(desk)
    rows = len(tomllib.loads(before)["sku"])
    await desk.login("admin1")
    resp = await desk.post(
        "/mappings/edit",
        {**NEW, "price": "5", "op": "save", "base_version": desk.deps.runtime.mappings.version},
    )
    html = await resp.text()
    wrong = "价格 ¥5.00 与产品 CH-FYZQ 不符：¥2.00 × 3 = ¥6.00"
    assert resp.status == 200 and f"SKU TV-NEW-555（第 {rows + 1} 行）：{wrong}" in html
    assert f'<small class="field-error" id="err-price_fen" role="alert">{wrong}</small>' in html
    assert "skus.toml" not in html and "price_fen: 500 fen" not in html and "/tmp" not in html
    assert _skus(desk) == before


async def test_the_english_view_names_the_same_row_and_field(desk: Desk) -> None:
    await desk.login("admin1")
    await desk.client.get("/lang/en?next=/")
    resp = await desk.post("/mappings/edit", {**NEW, "units": "0", "op": "preview"})
    html = await resp.text()
    assert "SKU TV-NEW-555 (row " in html and "): units per item must be more than 0" in html


async def test_the_price_is_typed_in_yuan_and_the_file_keeps_fen(desk: Desk) -> None:
    """ "6.00" yuan is written as price_fen = 600; the editor shows it again as 6.00."""
    await desk.login("admin1")
    resp = await desk.post(
        "/mappings/edit",
        {**NEW, "price": "6.00", "op": "save", "base_version": desk.deps.runtime.mappings.version},
    )
    assert resp.status == 303
    assert (
        'outer_sku_id = "TV-NEW-555"\nproduct = "CH-FYZQ"\nunits = 3\ndelivery = "topup"\nprice_fen = 600\n'
        in (_skus(desk))
    )
    form = await (await desk.client.get("/mappings/edit?sku=TV-NEW-555")).text()
    assert 'name="price" value="6.00"' in form


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("6.001", "标价「6.001」最多两位小数（精确到分）。"),
        ("-6", "标价不能是负数。"),
        ("六元", "标价「六元」不是金额：请只填数字，例如 6 或 5.50。"),
        ("", "请填写标价（元），例如 6 或 5.50。"),
    ],
)
async def test_a_price_that_is_not_one_is_refused_at_the_field(desk: Desk, typed: str, said: str) -> None:
    """Nothing is checked or written; the typed text stays in the field with the reason under it."""
    before = _skus(desk)
    await desk.login("admin1")
    resp = await desk.post(
        "/mappings/edit",
        {**NEW, "price": typed, "op": "save", "base_version": desk.deps.runtime.mappings.version},
    )
    html = await resp.text()
    assert resp.status == 200 and f'id="err-price_fen" role="alert">{said}</small>' in html
    assert (
        f'name="price" value="{typed}"' in html
        and 'aria-invalid="true" aria-describedby="err-price_fen"' in html
    )
    assert _skus(desk) == before


async def test_the_products_that_fit_the_listing_price_are_suggested(desk: Desk) -> None:
    """A parked ¥6 listing: every ¥2 channel × 3 months, none of another price."""
    await _parked(desk)
    await desk.login("admin1")
    html = await (await desk.client.get("/mappings/edit?new=TV-NEW-555")).text()
    assert 'name="price" value="6.00"' in html and "价格 × 数量正好是 ¥6.00 的产品" in html
    picks = re.findall(r'name="pick" value="([^"]+)"', html)
    assert "CH-FYZQ*3" in picks and all(p.endswith("*3") for p in picks)
    catalogue = desk.deps.runtime.mappings.catalogue.products
    assert len(picks) == sum(p.price_fen * 3 == 600 for p in catalogue.values())


async def test_a_pick_sent_without_script_fills_product_and_units(desk: Desk) -> None:
    """The pick is a submit button: the editor comes back with product and units chosen, previewed."""
    before = _skus(desk)
    await _parked(desk)
    await desk.login("admin1")
    resp = await desk.post("/mappings/edit", {**NEW, "product": "", "units": "1", "pick": "CH-SDMS*3"})
    html = await resp.text()
    assert '<option value="CH-SDMS" selected>' in html and 'name="units" value="3"' in html
    assert "1 个子订单保存后会自动开通" in html and _skus(desk) == before


async def test_saving_when_parked_orders_would_still_fail_needs_a_confirmation(desk: Desk) -> None:
    """¥8 for a listing paid ¥6: the preview says AMOUNT_MISMATCH; save asks, "仍然保存" saves."""
    tid = await _parked(desk)
    before = _skus(desk)
    await desk.login("admin1")
    version = desk.deps.runtime.mappings.version
    eight = {**NEW, "product": "CH-GFJS", "units": "1", "price": "8", "base_version": version}
    asked = await desk.post("/mappings/edit", {**eight, "op": "save"})
    html = await asked.text()
    assert asked.status == 200 and "等待中的订单仍然无法开通" in html
    assert (
        "1 个子订单：实付金额与映射价格不符" in html and 'value="save_anyway"' in html and "仍然保存" in html
    )
    assert _skus(desk) == before and desk.deps.runtime.mappings.skus.get("TV-NEW-555") is None
    saved = await desk.post("/mappings/edit", {**eight, "op": "save_anyway"})
    assert saved.status == 303 and saved.headers["Location"] == "/mappings?saved=AMOUNT_MISMATCH:1"
    html = await (await desk.client.get(saved.headers["Location"])).text()
    assert "映射已保存并生效。1 个子订单仍为金额不符。" in html and "已自动继续" not in html
    [ln] = await desk.rig.lines(tid)
    assert (ln.state, ln.reason) == (LineState.EXCEPTION, "AMOUNT_MISMATCH")


async def test_the_save_message_reports_each_parked_line_as_it_really_planned(desk: Desk) -> None:
    """Two lines paid ¥6 continue, one paid ¥5 is still an amount mismatch: counted, per reason."""
    tids = [await _parked(desk), await _parked(desk), await _parked(desk, "5.00")]
    await desk.login("admin1")
    version = desk.deps.runtime.mappings.version
    saved = await desk.post("/mappings/edit", {**NEW, "op": "save_anyway", "base_version": version})
    html = await (await desk.client.get(saved.headers["Location"])).text()
    assert "映射已保存并生效。2 个子订单已继续开通，1 个子订单仍为金额不符。" in html
    states = [(await desk.rig.lines(tid))[0].state for tid in tids]
    assert states == [LineState.READY, LineState.READY, LineState.EXCEPTION]
    [entry, *_] = await desk.deps.store.console.audit_entries(action="mapping_save", limit=1)
    assert (entry.detail or {})["outcomes"] == {"OK": 2, "AMOUNT_MISMATCH": 1}


async def test_a_saved_message_reads_only_known_outcomes_from_the_address(desk: Desk) -> None:
    await desk.login("admin1")
    html = await (await desk.client.get("/mappings?saved=OK:2,<b>x</b>:1,AMOUNT_MISMATCH:z")).text()
    assert "映射已保存并生效。2 个子订单已继续开通。" in html and "<b>x" not in html


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
    """The admin sees the SKU, how many orders wait, which products fit its price and a button to map it."""
    await _parked(desk)
    await _parked(desk)
    await desk.login("admin1")
    html = await (await desk.client.get("/mappings")).text()
    assert "TV-NEW-555" in html and "/mappings/edit?new=TV-NEW-555" in html
    assert '电视指南 × 3 <span class="muted small">等 24 个</span>' in html  # 24 ¥2 channels × 3 fit ¥6
    [item] = await desk.deps.store.console.unmapped_inbox()
    assert (item.outer_sku_id, item.parked, item.price_fen) == ("TV-NEW-555", 2, 600)
