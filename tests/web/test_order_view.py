"""The order page's pure parts: the header's summary, and the card drafts kept over a sign-in."""

from __future__ import annotations

from bridge.core.states import DeliveryState, LineState
from bridge.web.drafts import CardDraft, Drafts
from bridge.web.order_view import order_summary

S = LineState


def test_a_line_waiting_for_a_person_outranks_lines_still_moving() -> None:
    assert order_summary([S.EXCEPTION, S.SUBMITTED, S.HELD], DeliveryState.OPEN) == ("needs_person", 2)
    assert order_summary([S.SUBMITTED, S.DELIVERED], DeliveryState.OPEN) == ("moving", 1)
    assert order_summary([S.APPLIED], DeliveryState.DUE) == ("moving", 1)


def test_a_settled_order_is_delivered_or_finished() -> None:
    assert order_summary([S.DELIVERED, S.RESOLVED], DeliveryState.DELIVERED) == ("delivered", 2)
    assert order_summary([S.CANCELLED], DeliveryState.NOTHING) == ("finished", 1)


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_draft_is_found_again_until_it_expires() -> None:
    clock = _Clock()
    drafts = Drafts(ttl_s=600, clock=clock)
    token = drafts.keep(CardDraft(7, "8371 0000 1111 2222", "note"))
    clock.now = 599
    assert drafts.find(token) == CardDraft(7, "8371 0000 1111 2222", "note")
    assert drafts.find(token) is not None  # a reload finds it too
    clock.now = 600
    assert drafts.find(token) is None
    assert drafts.find("made-up") is None


def test_drafts_are_bounded_the_oldest_going_first() -> None:
    drafts = Drafts(limit=2)
    first, second, third = (drafts.keep(CardDraft(n, str(n), "")) for n in (1, 2, 3))
    assert drafts.find(first) is None
    assert [drafts.find(t) for t in (second, third)] == [CardDraft(2, "2", ""), CardDraft(3, "3", "")]
    assert len({first, second, third}) == 3
