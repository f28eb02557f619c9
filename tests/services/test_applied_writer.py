"""Applied parts of calls that return together are recorded together; a failed group, one by one."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

from bridge.core.records import Applied, LineRecord
from bridge.core.states import LineState
from bridge.services.applied_writer import AppliedWriter
from bridge.services.fulfil import fulfil_due, to_operation
from bridge.services.intake import poll_all
from bridge.services.planning import plan_due
from tests.rig import Rig, line, with_role

S = LineState


class _GroupsRefused:
    """The real operations role, except that a write of more than one applied part fails (once per group)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.groups: list[int] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def record_applied_many(
        self, applied: list[Applied], actor: str, now: Any
    ) -> list[LineRecord | None]:
        self.groups.append(len(applied))
        if len(applied) > 1:
            raise RuntimeError("the database refused the group")
        return list(await self._inner.record_applied_many(applied, actor, now))


async def _orders(rig: Rig, n: int) -> None:
    cards = await rig.cards()
    for i in range(n):
        await rig.order(line(), message=cards[i % len(cards)])
    await poll_all(rig.deps)
    await plan_due(rig.deps)


async def test_calls_returning_together_are_recorded_in_one_write(rig: Rig) -> None:
    """Six outcomes handed over at once go in one write; when it fails, each is written alone."""
    await _orders(rig, 6)
    store = _GroupsRefused(rig.deps.store.operations)
    writer = AppliedWriter(replace(rig.deps, store=with_role(rig.deps.store, "operations", store)))
    lines = await rig.deps.store.lines.claim_lines(rig.deps.owner, rig.deps.clock(), 30, 10)
    for ln in lines:
        assert await rig.deps.store.operations.begin_submit(
            ln, ln.operations[0], rig.deps.owner, rig.deps.clock()
        )
    answers = [await rig.deps.billing.apply(to_operation(ln.operations[0])) for ln in lines]
    results = await asyncio.gather(
        *(
            writer.record(Applied(ln, ln.operations[0], answer))
            for ln, answer in zip(lines, answers, strict=True)
        )
    )
    assert store.groups == [6, 1, 1, 1, 1, 1, 1]  # one write for all six, refused: then each alone
    assert [r.state if r else None for r in results] == [S.APPLIED] * 6
    assert [ln.state for ln in await rig.lines()] == [S.APPLIED] * 6
    assert len(await rig.ledger()) == 6


async def test_a_fulfilment_pass_records_every_outcome_even_when_group_writes_fail(rig: Rig) -> None:
    """Each part of a refused group is written on its own: every line ends APPLIED, credited once."""
    await _orders(rig, 12)
    store = _GroupsRefused(rig.deps.store.operations)
    await fulfil_due(replace(rig.deps, store=with_role(rig.deps.store, "operations", store)))
    assert [ln.state for ln in await rig.lines()] == [S.APPLIED] * 12
    assert len(await rig.ledger()) == 12
