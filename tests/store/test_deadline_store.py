"""The deadlines' store role: lines awaiting delivery by payment, their counts, one event a line."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from bridge.core.deadlines import UndeliveredLine
from bridge.core.states import LineState
from bridge.store.archive_schema import events_archive
from bridge.store.schema import events, lines
from tests.rig import Rig

AT_RISK = "deadline_at_risk"


async def _paid(rig: Rig, hours_ago: float, state: LineState = LineState.READY) -> UndeliveredLine:
    """An order planned (READY), its line paid ``hours_ago`` and put in ``state``; as the role reads it."""
    tid = await rig.planned()
    paid = rig.deps.clock() - timedelta(hours=hours_ago)
    async with rig.deps.store.engine.begin() as conn:
        await conn.execute(lines.update().where(lines.c.tid == tid).values(paid_at=paid, state=state.value))
    [ln] = await rig.lines(tid)
    return UndeliveredLine(ln.id, ln.shop, ln.tid, ln.oid, paid, state.value)


async def _set_state(rig: Rig, line: UndeliveredLine, state: LineState) -> None:
    async with rig.deps.store.engine.begin() as conn:
        await conn.execute(lines.update().where(lines.c.id == line.line_id).values(state=state.value))


async def test_the_lines_awaiting_delivery_come_earliest_paid_first(rig: Rig) -> None:
    """Moving, applied and exception lines count; delivered, held and cancelled ones do not."""
    newer = await _paid(rig, 1)
    older = await _paid(rig, 5, LineState.EXCEPTION)
    applied = await _paid(rig, 3, LineState.APPLIED)
    for gone in (LineState.DELIVERED, LineState.HELD, LineState.CANCELLED):
        await _paid(rig, 9, gone)
    found = await rig.deps.store.deadlines.most_urgent("main", 10)
    assert [ln.line_id for ln in found] == [older.line_id, applied.line_id, newer.line_id]
    assert found[0] == older


async def test_the_most_urgent_are_cut_at_the_limit_and_kept_to_the_shop(rig: Rig) -> None:
    """At most ``limit`` lines, the earliest paid; another shop's name finds none."""
    oldest = await _paid(rig, 6)
    await _paid(rig, 2)
    assert await rig.deps.store.deadlines.most_urgent("main", 1) == [oldest]
    assert await rig.deps.store.deadlines.most_urgent("other", 10) == []


async def test_lines_awaiting_delivery_are_counted_by_their_payment(rig: Rig) -> None:
    """The earliest payment; at risk: paid after the missed mark (excluded) and up to the at-risk mark
    (included); missed: paid at or before the missed mark. Delivered lines count nowhere."""
    now = rig.deps.clock()
    await _paid(rig, 1)
    await _paid(rig, 3)
    oldest = await _paid(rig, 30)
    await _paid(rig, 40, LineState.DELIVERED)
    counts = rig.deps.store.deadlines.awaiting_counts
    assert await counts("main", now - timedelta(hours=4), now - timedelta(hours=2)) == (oldest.paid_at, 1, 1)
    assert await counts("main", now - timedelta(hours=29), now) == (oldest.paid_at, 2, 1)


async def test_a_shop_with_no_line_awaiting_delivery_has_no_earliest_payment(rig: Rig) -> None:
    """Nothing awaits: no earliest payment, nothing at risk or missed (never a made-up time)."""
    await _paid(rig, 30, LineState.DELIVERED)
    now = rig.deps.clock()
    assert await rig.deps.store.deadlines.awaiting_counts("main", now, now) == (None, 0, 0)


async def test_a_lines_event_is_written_once(rig: Rig) -> None:
    """The first call writes the event and says so; every later one finds it and writes nothing."""
    line = await _paid(rig, 23)
    record = rig.deps.store.deadlines.record_once
    now = rig.deps.clock()
    assert await record(line, AT_RISK, now, "system", {"left_s": 3600}) is True
    assert await record(line, AT_RISK, now, "system", {"left_s": 3000}) is False
    assert await record(line, "deadline_missed", now, "system", {}) is True  # another kind: its own once
    assert await rig.deps.store.deadlines.count_events("main", AT_RISK, now - timedelta(seconds=1)) == 1


async def test_two_instances_recording_at_once_write_one_event(rig: Rig) -> None:
    """Concurrent calls for the same line (two instances' jobs): exactly one writes the event."""
    line = await _paid(rig, 23)
    now = rig.deps.clock()
    record = rig.deps.store.deadlines.record_once
    outcomes = await asyncio.gather(*(record(line, AT_RISK, now, f"i{n}", {}) for n in range(4)))
    assert sorted(outcomes) == [False, False, False, True]
    assert await _events(rig, line) == 1


async def test_a_line_delivered_since_it_was_read_gets_no_event(rig: Rig) -> None:
    """Read while awaiting delivery, delivered before the write: nothing is written, nothing to tell."""
    line = await _paid(rig, 23)
    await _set_state(rig, line, LineState.DELIVERED)
    assert await rig.deps.store.deadlines.record_once(line, AT_RISK, rig.deps.clock(), "system", {}) is False
    assert await _events(rig, line) == 0


async def test_an_archived_event_still_counts_as_told(rig: Rig) -> None:
    """The line's event moved to the archive (retention): the line is not told again."""
    line = await _paid(rig, 23)
    now = rig.deps.clock()
    assert await rig.deps.store.deadlines.record_once(line, AT_RISK, now, "system", {}) is True
    async with rig.deps.store.engine.begin() as conn:
        row = (await conn.execute(events.select().where(events.c.kind == AT_RISK))).mappings().one()
        await conn.execute(events_archive.insert().values(**row))
        await conn.execute(events.delete().where(events.c.id == row["id"]))
    assert await rig.deps.store.deadlines.record_once(line, AT_RISK, now, "system", {}) is False


async def test_events_are_counted_from_a_moment_on(rig: Rig) -> None:
    """Only the shop's events of that kind at or after ``since`` count (missed today)."""
    first, second = await _paid(rig, 30), await _paid(rig, 30)
    now = rig.deps.clock()
    record = rig.deps.store.deadlines.record_once
    await record(first, "deadline_missed", now - timedelta(hours=3), "system", {})
    await record(second, "deadline_missed", now, "system", {})
    count = rig.deps.store.deadlines.count_events
    assert await count("main", "deadline_missed", now - timedelta(hours=1)) == 1
    assert await count("main", "deadline_missed", datetime.min.replace(tzinfo=now.tzinfo)) == 2


async def _events(rig: Rig, line: UndeliveredLine) -> int:
    async with rig.deps.store.engine.connect() as conn:
        found = events.select().where(events.c.line_id == line.line_id, events.c.kind == AT_RISK)
        return len((await conn.execute(found)).all())
