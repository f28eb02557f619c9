"""A storage error on a paid trade never drops it: retried, shown to a person, and read again later.

The store raises ``StoreUnavailable`` for the database's failures (``bridge.store.errors``); a bug
(anything else) is logged with its traceback and the trade kept for a person the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from structlog.testing import capture_logs

from bridge.core.errors import StoreUnavailable
from bridge.services.intake import poll_all
from tests.rig import Rig, line


def _lost() -> Exception:
    return StoreUnavailable("the database connection was lost: reset by peer", code="STORE_CONNECTION_LOST")


def _failing(
    rig: Rig, times: int, monkeypatch: pytest.MonkeyPatch, error: Callable[[], Exception] = _lost
) -> list[int]:
    """Make the store refuse the next ``times`` saves of a trade (by default as the database's
    failure reaches a service); a page holding it is refused while they last."""
    real, real_page = rig.deps.store.intake.save_trade, rig.deps.store.intake.save_trades
    calls = [0]

    async def save_trades(*args: Any, **kwargs: Any) -> Any:
        if calls[0] < times:
            raise error()
        return await real_page(*args, **kwargs)

    async def save_trade(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        if calls[0] <= times:
            raise error()
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


async def test_a_bug_while_storing_is_logged_and_the_trade_kept_for_a_person(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not the database's failure but a bug: logged with its traceback, not retried, recorded for a
    person with the watermark below it; stored by a later poll once the bug is gone."""
    card = (await rig.cards())[5]
    tid = await rig.order(line(), message=card)
    _failing(rig, 1, monkeypatch, error=lambda: RuntimeError("a bug in the store"))
    with capture_logs() as logs:
        [report] = await poll_all(rig.deps)
    assert report.failed == [tid]
    crashed = [e for e in logs if e["event"] == "trade_store_crashed"]
    assert len(crashed) == 1 and crashed[0]["log_level"] == "error" and crashed[0].get("exc_info")
    assert not [e for e in logs if e["event"] == "trade_store_retry"]
    modified = (await rig.deps.shops["main"].get_trade(tid)).modified
    watermark = await rig.deps.store.intake.watermark("main")
    assert watermark is None or watermark < modified
    rig.later(5)
    [again] = await poll_all(rig.deps)
    assert again.failed == [] and len(await rig.lines(tid)) == 1
