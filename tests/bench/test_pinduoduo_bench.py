"""The bench's Pinduoduo stream: the lab's Pinduoduo orders, less the card-code orders only a person
could settle there, so that its cells do the same kind of work as the Taobao cells."""

from __future__ import annotations

from bench.rig import LEFT_OUT_KINDS, backlog
from bridge.lab.sandboxes import DEMO_MAPPINGS
from bridge.lab.scenario import BAD_KINDS, OrderMaker, Subscribers
from bridge.services.mappings import load_mapping_set
from bridge.wiring import mapping_files

CARD = "8376000000000001"


def _maker() -> OrderMaker:
    subs = Subscribers([f"83760000000000{n:02d}" for n in range(20)], [CARD[:-1] + "9"], [CARD[:-1] + "8"])
    return OrderMaker(load_mapping_set(mapping_files(DEMO_MAPPINGS)), subs, 7)


def test_the_left_out_kinds_are_pinduoduos_card_codes_alone() -> None:
    """Only the kind Pinduoduo makes bad by delivering no codes is left out; every other bad kind stays."""
    assert sorted(LEFT_OUT_KINDS) == ["card_codes"]


def test_the_pinduoduo_stream_leaves_out_card_code_orders_and_keeps_the_rest() -> None:
    """60 Pinduoduo orders, none of them card codes, every bad kind among them."""
    orders = backlog(_maker(), orders=60, storefront="pinduoduo")
    assert len(orders) == 60 and {o.storefront for o in orders} == {"pinduoduo"}
    assert "card_codes" not in {o.kind for o in orders}
    assert not any(line.cards for o in orders for line in o.lines)
    assert set(BAD_KINDS) <= {o.kind for o in orders}


def test_the_pinduoduo_stream_is_the_labs_pinduoduo_cycle_in_its_order() -> None:
    """What is kept is the lab's n-th Pinduoduo order, in turn: the same seed gives the same stream."""
    maker = _maker()
    made = [maker.make(n, "pinduoduo") for n in range(40)]
    kept = [o for o in made if o.kind not in LEFT_OUT_KINDS]
    assert backlog(_maker(), orders=len(kept), storefront="pinduoduo") == kept


def test_the_taobao_stream_is_the_labs_taobao_cycle_whole() -> None:
    """On Taobao nothing is left out: card-delivery orders are good there."""
    maker = _maker()
    assert backlog(_maker(), orders=30) == [maker.make(n) for n in range(30)]
    assert "card_delivery" in {o.kind for o in backlog(_maker(), orders=30)}


def test_a_stream_by_lines_stops_once_it_has_them() -> None:
    """Asked for lines, the stream makes orders until it holds at least that many lines."""
    orders = backlog(_maker(), lines=100, storefront="pinduoduo")
    total = sum(len(o.lines) for o in orders)
    assert total >= 100 and total - len(orders[-1].lines) < 100
