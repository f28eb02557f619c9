"""A storage error on a paid trade never drops it: retried, shown to a person, and read again later."""

from __future__ import annotations

from typing import Any

import pytest

from bridge.services.intake import poll_all
from tests.rig import Rig, line


def _failing(rig: Rig, times: int, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Make the store refuse the next ``times`` saves of a trade (as a database error would);
    a page holding it is refused while they last."""
    real, real_page = rig.deps.store.intake.save_trade, rig.deps.store.intake.save_trades
    calls = [0]

    async def save_trades(*args: Any, **kwargs: Any) -> Any:
        if calls[0] < times:
            raise RuntimeError("database said no")
        return await real_page(*args, **kwargs)

    async def save_trade(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        if calls[0] <= times:
            raise RuntimeError("database said no")
        return await real(*args, **kwargs)

    monkeypatch.setattr(rig.deps.store.intake, "save_trade", save_trade)
    monkeypatch.setattr(rig.deps.store.intake, "save_trades", save_trades)
    return calls


async def test_a_passing_storage_error_is_retried(rig: Rig, monkeypatch: pytest.MonkeyPatch) -> None:
    card = (await rig.cards())[3]
    tid = await rig.order(line(), message=card)
    _failing(rig, 2, monkeypatch)
    [report] = await poll_all(rig.deps)
    assert report.failed == [] and len(await rig.lines(tid)) == 1


async def test_a_trade_the_store_keeps_refusing_is_not_passed_by_the_watermark(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Recorded for a person, the watermark stays below it, and a later poll stores it."""
    card = (await rig.cards())[4]
    tid = await rig.order(line(), message=card)
    _failing(rig, 3, monkeypatch)
    [report] = await poll_all(rig.deps)
    assert report.failed == [tid]
    modified = (await rig.deps.shops["main"].get_trade(tid)).modified
    watermark = await rig.deps.store.intake.watermark("main")
    assert watermark is None or watermark < modified
    rig.later(5)
    [again] = await poll_all(rig.deps)
    assert again.failed == [] and len(await rig.lines(tid)) == 1
