"""Card codes on a storefront that cannot deliver them: a person decides before any card is issued."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bridge.core.states import LineState
from bridge.ports import StorefrontPort
from tests.rig import Rig, line

SHOP = "main"


class _NoCodes:
    """The shop's port on a storefront whose delivery carries no card codes."""

    delivers_codes = False

    def __init__(self, real: StorefrontPort) -> None:
        self._real = real

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


async def test_a_card_code_line_goes_to_a_person_before_the_billing_core_issues_cards(rig: Rig) -> None:
    """A card-secret line where codes cannot be delivered: EXCEPTION with its reason, no card issued."""
    rig.deps = replace(rig.deps, shops={SHOP: _NoCodes(rig.deps.shops[SHOP])})  # type: ignore[dict-item]
    tid = await rig.order(line("TV-CARD-0100", "100.00", 2), message="请发卡密")
    await rig.cycle()
    [ln] = await rig.lines(tid)
    assert (ln.state, ln.reason) == (LineState.EXCEPTION, "CODES_NOT_DELIVERABLE")
    assert await rig.ledger(tid) == [] and ln.operations == ()


async def test_a_top_up_line_on_such_a_storefront_is_provisioned_as_ever(rig: Rig) -> None:
    """Only card codes need the storefront's delivery: a top-up there is credited and delivered."""
    rig.deps = replace(rig.deps, shops={SHOP: _NoCodes(rig.deps.shops[SHOP])})  # type: ignore[dict-item]
    tid = await rig.order(line(), message=(await rig.cards())[0])
    await rig.cycle()
    [ln] = await rig.lines(tid)
    assert ln.state is LineState.DELIVERED and len(await rig.ledger(tid)) == 1
