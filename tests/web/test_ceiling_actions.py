"""A large line on the order page: its reason and figures in Chinese, approved by an admin only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from importlib import resources
from pathlib import Path

import pytest

from bridge.core.records import LineRecord
from bridge.core.states import LineState
from bridge.web import make_console_app
from bridge.web.i18n import catalogue
from tests.rig import line, open_rig
from tests.web.conftest import ClientFactory, Desk
from tests.web.rig import add_users, console_settings
from tests.web.test_messages import _outcome_codes

S = LineState


@pytest.fixture
async def capped(tmp_path: Path, database: str, aiohttp_client: ClientFactory) -> AsyncIterator[Desk]:
    """The console over a bridge whose lines above ¥500 wait for an admin."""
    async with open_rig(
        tmp_path, settings_for=console_settings, database=database, ceilings={"line_amount_fen": 50_000}
    ) as rig:
        await add_users(rig.deps)
        yield Desk(rig, await aiohttp_client(make_console_app(rig.deps)))


async def _waiting(desk: Desk) -> LineRecord:
    """A paid 6 × ¥100 top-up, held by the ¥500 line ceiling."""
    tid = await desk.rig.order(line(qty=6), message=(await desk.rig.cards())[0])
    await desk.rig.cycle()
    [ln] = await desk.rig.lines(tid)
    assert (ln.state, ln.reason) == (S.EXCEPTION, "LINE_OVER_CEILING")
    return ln


def test_every_outcome_of_the_approval_has_a_text() -> None:
    source = resources.files("bridge.services").joinpath("ceilings.py").read_text("utf-8")
    codes = _outcome_codes(source)
    assert codes and {f"outcome.{c}" for c in codes} <= set(catalogue()["zh"])


async def test_cs_reads_why_the_line_waits_but_has_no_approve_button(capped: Desk) -> None:
    """CS sees the reason and the figures in Chinese, no approve button, and a forged POST is refused."""
    ln = await _waiting(capped)
    await capped.login("cs1")
    page = await (await capped.client.get(f"/orders/{ln.shop}/{ln.tid}")).text()
    assert "超过单笔上限，等待管理员批准" in page and "金额 ¥600.00 超过单笔上限 ¥500.00" in page
    assert f"/ceilings/{ln.id}/approve" not in page and f"/lines/{ln.id}/retry" not in page
    refused = await capped.post(f"/ceilings/{ln.id}/approve")
    assert "refused:ceiling_admin_only" in refused.headers["Location"]
    assert await capped.rig.ledger(ln.tid) == []


async def test_an_admin_approves_from_the_order_page_and_a_second_click_changes_nothing(capped: Desk) -> None:
    """The admin's button approves it once; the line is provisioned once and delivered."""
    ln = await _waiting(capped)
    await capped.login("admin1")
    page = await (await capped.client.get(f"/orders/{ln.shop}/{ln.tid}")).text()
    assert f"/ceilings/{ln.id}/approve" in page and "批准开通" in page
    first = await capped.post(f"/ceilings/{ln.id}/approve", {"note": "已电话确认"})
    second = await capped.post(f"/ceilings/{ln.id}/approve", {"note": "已电话确认"})
    assert "done:ceiling_approved" in first.headers["Location"]
    assert "unchanged:not_waiting" in second.headers["Location"]
    shown = await (await capped.client.get(first.headers["Location"])).text()
    assert "已批准，系统照常开通" in shown
    await capped.rig.cycle()
    [now] = await capped.rig.lines(ln.tid)
    assert now.state is S.DELIVERED and len(await capped.rig.ledger(ln.tid)) == 1
