"""The reconciliation page: the runs by date with counts per kind, a day's rows linking to their
orders, the CSV download, and a date that is not one refused by name."""

from __future__ import annotations

import csv
import io
from datetime import datetime

from bridge.core import reconcile as rc
from bridge.core.models import CST, Recharge
from bridge.services.reconcile import reconcile_day
from tests.rig import line
from tests.web.conftest import Desk


async def _seeded(desk: Desk) -> tuple[int, int, str]:
    """A delivered order whose operation the billing core lost, a paid order the bridge never
    saw, and one applied at the counter; reconciled. (forgotten tid, unknown tid, counter card)"""
    rig = desk.rig
    cards = await rig.cards()
    forgotten_tid = await rig.order(line(), message=f"卡号{cards[0]}")
    await rig.cycle()
    [ln] = await rig.lines(forgotten_tid)
    rig.sb.billing.sandbox.state.forget(ln.operations[0].request_id)
    rig.sb.billing.sandbox.state.apply(Recharge("counter-9", cards[1], 3000))
    unknown_tid = await rig.order(line(), message=f"卡号{cards[2]}")
    await reconcile_day(desk.deps, datetime.now(CST).date())
    return forgotten_tid, unknown_tid, cards[1]


async def test_the_page_lists_the_runs_and_the_rows_with_links_to_their_orders(desk: Desk) -> None:
    await desk.login("cs1")
    empty = await (await desk.client.get("/reconcile")).text()
    assert "还没有对账记录" in empty
    forgotten_tid, unknown_tid, counter_card = await _seeded(desk)
    today = datetime.now(CST).date().isoformat()
    resp = await desk.client.get("/reconcile")
    assert resp.status == 200
    html = await resp.text()
    assert f'href="/reconcile?day={today}"' in html and "已核对当日清单" in html
    assert "已发货未开通" in html and "漏单" in html and "非本系统发出" in html
    assert f'href="/orders/main/{forgotten_tid}"' in html and f'href="/orders/main/{unknown_tid}"' in html
    assert "对账：本系统记为已开通或已发货" in html and "¥100.00" in html
    assert counter_card not in html and counter_card[-4:] in html
    assert f'href="/reconcile/{today}.csv"' in html

    await desk.client.get("/lang/en")
    english = await (await desk.client.get(f"/reconcile?day={today}")).text()
    assert "Delivered, not applied" in english and "reconciliation: paid in the shop but unknown" in english


async def test_the_csv_download_is_one_row_per_disagreement(desk: Desk) -> None:
    await desk.login("cs1")
    _, unknown_tid, counter_card = await _seeded(desk)
    today = datetime.now(CST).date().isoformat()
    resp = await desk.client.get(f"/reconcile/{today}.csv")
    assert resp.status == 200 and resp.content_type == "text/csv"
    assert f'filename="reconcile-{today}.csv"' in resp.headers["Content-Disposition"]
    text = (await resp.read()).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert sorted(r["kind"] for r in rows) == sorted([rc.DELIVERED_NOT_APPLIED, rc.PAID_UNKNOWN, rc.NOT_SENT])
    assert next(r for r in rows if r["kind"] == rc.PAID_UNKNOWN)["tid"] == str(unknown_tid)
    assert counter_card not in text


async def test_a_date_that_is_not_one_is_refused_by_name(desk: Desk) -> None:
    await desk.login("cs1")
    resp = await desk.client.get("/reconcile?day=2026-02-30")
    assert resp.status == 400 and "日期“2026-02-30”无效" in await resp.text()
    assert (await desk.client.get("/reconcile/yesterday.csv")).status == 400
    assert (await desk.client.get("/reconcile/2001-01-01.csv")).status == 404


async def test_signed_out_visitors_are_sent_to_the_login(desk: Desk) -> None:
    resp = await desk.client.get("/reconcile", allow_redirects=False)
    assert resp.status in (302, 303) and resp.headers["Location"].startswith("/login")
