"""The exception queue through the real app: reason tabs with counts, pages, bulk actions on a whole
filter (confirmed once, reported when settled), the batch in the audit log, live updates, search."""

from __future__ import annotations

import re

import pytest

from bridge.core.reasons import REASONS
from bridge.core.records import LineRecord
from bridge.core.states import LineState
from bridge.web import queue_views
from bridge.web.i18n import catalogue
from tests.rig import line
from tests.web.conftest import Desk
from tests.web.rig import UNKNOWN_CARD

S = LineState
_TAB = re.compile(r'data-reason="(\w*)"[^>]*>([^<]*?) <span class="count">(\d+)</span>')
_ROW = re.compile(r'<li class="queue-item" data-line="(\d+)">')


async def _tabs(desk: Desk, query: str) -> dict[str, tuple[str, int]]:
    html = await (await desk.client.get(f"/queue?list=1&{query}")).text()
    return {code: (label, int(n)) for code, label, n in _TAB.findall(html)}


async def _unknown_card(desk: Desk, nick: str = "tb_e2e") -> LineRecord:
    tid = await desk.rig.order(message=f"卡号{UNKNOWN_CARD}", nick=nick)
    await desk.rig.cycle()
    [ln] = await desk.rig.lines(tid)
    assert (ln.state, ln.reason) == (S.EXCEPTION, "SUBSCRIBER_NOT_FOUND")
    return ln


async def _exhausted(desk: Desk, n: int) -> list[LineRecord]:
    cards = await desk.rig.cards()
    tids = [await desk.rig.order(message=cards[20 + i], nick=f"buyer{i}") for i in range(n)]
    await desk.exhausted()
    found = [ln for tid in tids for ln in await desk.rig.lines(tid)]
    assert {(ln.state, ln.reason) for ln in found} == {(S.EXCEPTION, "RETRIES_EXHAUSTED")}
    return found


async def _state(desk: Desk, ln: LineRecord) -> LineState:
    found = await desk.deps.store.console.line_by_id(ln.id)
    assert found is not None
    return found.state


def test_every_reason_has_a_short_label_in_both_languages() -> None:
    """One short tab label per reason code, Chinese and English, shorter than the advice."""
    for lang in ("zh", "en"):
        texts = catalogue()[lang]
        for code, (zh, _en) in REASONS.items():
            label = texts[f"reason_short.{code}"]
            assert label and len(label) < len(zh if lang == "zh" else _en), (lang, code)


async def test_reason_tabs_count_each_reason_under_the_other_filters(desk: Desk) -> None:
    """Tabs carry short labels and counts; a search narrows the counts; a tab filters the rows."""
    await _unknown_card(desk)
    await _unknown_card(desk, nick="lisi_88")
    tid = await desk.rig.order(line("TV-NEW-777", "5.00"), message="8371999999990000", nick="wangwu")
    await desk.rig.cycle()
    await desk.login("cs1")
    assert await _tabs(desk, "") == {
        "": ("全部", 3),
        "SUBSCRIBER_NOT_FOUND": ("查无此卡", 2),
        "UNMAPPED_SKU": ("未映射", 1),
    }
    assert await _tabs(desk, "q=wangwu") == {"": ("全部", 1), "UNMAPPED_SKU": ("未映射", 1)}
    html = await (await desk.client.get("/queue?list=1&reason=UNMAPPED_SKU")).text()
    [ln] = await desk.rig.lines(tid)
    assert _ROW.findall(html) == [str(ln.id)]
    assert "商品编码未配置映射" not in html  # the advice lives on the order page
    assert "商品编码未配置映射" in await (await desk.client.get(f"/orders/main/{tid}")).text()


async def test_the_queue_pages_oldest_first_and_the_links_keep_the_filter(desk: Desk) -> None:
    """60 waiting lines: 50 on the first page, 10 on the second, none twice, the filter kept."""
    tid = await desk.rig.order(*[line("TV-NEW-777", "5.00") for _ in range(60)], message=None)
    await desk.rig.cycle()
    assert len(await desk.rig.lines(tid)) == 60
    await desk.login("cs1")
    first = await (await desk.client.get("/queue?reason=UNMAPPED_SKU")).text()
    assert "第 1 / 2 页" in first and "共 60 条" in first
    next_link = re.search(r'rel="next" href="([^"]+)"', first)
    assert next_link is not None and "reason=UNMAPPED_SKU" in next_link.group(1)
    second = await (await desk.client.get(next_link.group(1).replace("&amp;", "&"))).text()
    ids = [int(i) for i in _ROW.findall(first) + _ROW.findall(second)]
    assert (len(_ROW.findall(first)), len(_ROW.findall(second))) == (50, 10)
    since = {ln.id: (ln.paid_at or ln.created_at, ln.id) for ln in await desk.rig.lines(tid)}
    assert ids == sorted(since, key=lambda i: since[i])
    beyond = await (await desk.client.get("/queue?list=1&reason=UNMAPPED_SKU&page=9")).text()
    assert _ROW.findall(beyond) == [] and 'href="/queue?reason=UNMAPPED_SKU&amp;list=1"' in beyond


async def _offer(desk: Desk, action: str, **filters: str) -> str:
    resp = await desk.post("/queue/bulk", {"action": action, **filters})
    assert resp.status == 303
    found = re.fullmatch(r"/queue/batches/([0-9a-f]{32})", resp.headers["Location"])
    assert found is not None
    return found.group(1)


async def test_bulk_retry_acts_on_the_whole_filter_counted_once_and_reports_when_settled(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Counted on the filter (beyond the page), confirmed, lines arriving later left alone, a line
    handled meanwhile skipped and named, a double submit acting once, the outcome once settled."""
    monkeypatch.setattr(queue_views, "PAGE_SIZE", 2)
    exhausted = await _exhausted(desk, 3)
    unknown = await _unknown_card(desk)
    await desk.login("cs1")
    html = await (await desk.client.get("/queue?list=1")).text()
    assert len(_ROW.findall(html)) == 2 and "重试全部 4 条" in html

    batch = await _offer(desk, "retry")
    confirm = await (await desk.client.get(f"/queue/batches/{batch}")).text()
    assert "确认重试这 4 条？" in confirm
    late = await _unknown_card(desk)  # arrives after the count
    gone = exhausted[0]  # handled in another tab before the confirmation
    await desk.post(f"/lines/{gone.id}/resolve", {"resolution": "HANDLED_AT_HALL", "note": "营业厅已办理"})

    first = await desk.post(f"/queue/batches/{batch}", {"note": "计费恢复后批量重试"})
    second = await desk.post(f"/queue/batches/{batch}", {"note": "计费恢复后批量重试"})
    assert first.headers["Location"] == f"/queue/batches/{batch}"
    assert "again=1" in second.headers["Location"]
    moving = await (await desk.client.get(f"/queue/batches/{batch}")).text()
    assert "还有 3 条未结束" in moving and "data-reload-every" in moving

    for _ in range(2):
        await desk.rig.cycle()
    done = await (await desk.client.get(second.headers["Location"])).text()
    assert "2 条已开通，1 条又转人工，1 条已不在队列" in done
    assert "已经执行过了" in done and "data-reload-every" not in done
    assert [await _state(desk, ln) for ln in exhausted[1:]] == [S.DELIVERED, S.DELIVERED]
    assert await _state(desk, unknown) is S.EXCEPTION and await _state(desk, late) is S.EXCEPTION
    assert len(await desk.rig.ledger(exhausted[1].tid)) == 1
    assert await desk.deps.store.console.audit_entries(tid=late.tid) == []  # never touched
    [header] = [e for e in await desk.deps.store.console.audit_entries() if e.batch == batch]
    assert (header.action, header.line_id, (header.detail or {})["count"]) == ("bulk_retry", None, 4)
    [members] = (await desk.deps.store.queue.audit_batches([batch])).values()
    assert {m.line_id: m.outcome for m in members} == {
        gone.id: "unchanged",
        exhausted[1].id: "done",
        exhausted[2].id: "done",
        unknown.id: "done",
    }
    assert len(await desk.deps.store.console.audit_entries(action="retry")) == 4


async def test_bulk_resolve_needs_a_resolution_and_a_note_before_it_acts(desk: Desk) -> None:
    """Without a note nothing is done and the confirmation still works; with one, all resolved."""
    lines = [await _unknown_card(desk), await _unknown_card(desk)]
    await desk.login("cs1")
    batch = await _offer(desk, "resolve", reason="SUBSCRIBER_NOT_FOUND")
    refused = await desk.post(f"/queue/batches/{batch}", {"resolution": "HANDLED_AT_HALL", "note": " "})
    assert "refused:resolution_needed" in refused.headers["Location"]
    assert [await _state(desk, ln) for ln in lines] == [S.EXCEPTION, S.EXCEPTION]
    await desk.post(f"/queue/batches/{batch}", {"resolution": "HANDLED_AT_HALL", "note": "营业厅已办理"})
    assert [await _state(desk, ln) for ln in lines] == [S.RESOLVED, S.RESOLVED]
    page = await (await desk.client.get(f"/queue/batches/{batch}")).text()
    assert "2 条已结案，0 条未能结案，0 条已不在队列" in page


async def test_an_empty_filter_offers_nothing_to_confirm(desk: Desk) -> None:
    """No line under the filter: the page says so and a forced confirmation does nothing."""
    await _unknown_card(desk)
    await desk.login("cs1")
    batch = await _offer(desk, "retry", reason="CARD_MISSING")
    page = await (await desk.client.get(f"/queue/batches/{batch}")).text()
    assert "当前筛选下没有可处理的订单" in page and "确认执行" not in page
    await desk.post(f"/queue/batches/{batch}")
    assert await desk.deps.store.console.audit_entries() == []


async def test_a_bulk_action_is_one_audit_row_that_expands_to_its_lines(desk: Desk) -> None:
    """/audit shows the batch once, with its lines and each line's outcome inside."""
    lines = [await _unknown_card(desk), await _unknown_card(desk)]
    await desk.login("cs1")
    batch = await _offer(desk, "cancel")
    await desk.post(f"/queue/batches/{batch}", {"note": "买家要求退款"})
    html = await (await desk.client.get("/audit")).text()
    assert html.count(f'data-batch="{batch}"') == 1
    assert "批量取消并退款" in html and "共 2 条" in html
    details = html[html.index(f'data-batch="{batch}"') :]
    details = details[: details.index("</details>")]
    assert all(str(ln.tid) in details for ln in lines) and details.count("已完成") == 2
    assert [await _state(desk, ln) for ln in lines] == [S.CANCELLED, S.CANCELLED]


async def test_the_live_body_follows_the_queue(desk: Desk) -> None:
    """The fragment the page polls: new lines appear, a line handled elsewhere leaves."""
    first = await _unknown_card(desk)
    await desk.login("cs1")
    before = await (await desk.client.get("/queue/live?state=EXCEPTION")).text()
    assert "<html" not in before and re.search(rf'data-ids="{first.id} "', before)
    second = await _unknown_card(desk)
    await desk.post(f"/lines/{first.id}/resolve", {"resolution": "HANDLED_AT_HALL", "note": "已处理"})
    after = await (await desk.client.get("/queue/live?state=EXCEPTION")).text()
    assert _ROW.findall(after) == [str(second.id)] and 'data-total="1"' in after


async def test_a_search_matching_one_order_opens_it(desk: Desk) -> None:
    """Tid, buyer nickname or a card's last 4: one order → its page; several → the list."""
    ln = await _unknown_card(desk, nick="lisi_88")
    await _unknown_card(desk)
    await _unknown_card(desk)
    await desk.login("cs1")
    for q in (str(ln.tid), "lisi", "mystery_99"):
        resp = await desk.client.get(f"/queue?q={q}", allow_redirects=False)
        if q == "mystery_99":
            assert resp.status == 200
        else:
            assert (resp.status, resp.headers["Location"]) == (303, f"/orders/main/{ln.tid}")
    several = await desk.client.get(f"/queue?q={UNKNOWN_CARD[-4:]}", allow_redirects=False)
    assert several.status == 200 and len(_ROW.findall(await several.text())) == 3
