"""An old order's page after the retention moved its events and audit rows: the same page, found by CS."""

from __future__ import annotations

from datetime import timedelta

from tests.web.conftest import Desk
from tests.web.rig import UNKNOWN_CARD


async def test_an_archived_orders_page_shows_its_timeline_and_audit_entries_as_before(desk: Desk) -> None:
    """Every event and audit row of an order in EXCEPTION archived (but the tables' newest rows): its
    page, timeline and audit entries included, is the page CS saw before."""
    tid = await desk.rig.order(message=f"卡号{UNKNOWN_CARD}")
    await desk.rig.cycle()
    [ln] = await desk.rig.lines(tid)
    now = desk.deps.clock()
    await desk.deps.store.console.add_audit(
        at=now, actor="cs1", action="note", outcome="done", line=ln, note="买家来电"
    )
    await desk.deps.store.console.add_audit(at=now, actor="cs2", action="note", outcome="done", note="其他")
    await desk.rig.order(
        message=f"卡号{UNKNOWN_CARD}"
    )  # a newer order: the tables' newest events are its own
    await desk.rig.cycle()
    await desk.login("cs1")
    before = await (await desk.client.get(f"/orders/main/{tid}")).text()
    assert "买家来电" in before
    later = now + timedelta(days=1)
    for kind in ("events", "audit"):
        while await desk.deps.store.retention.archive_batch(kind, later, 1000):
            pass
    assert await desk.deps.store.retention.archivable("events", later) == 0
    assert await (await desk.client.get(f"/orders/main/{tid}")).text() == before
