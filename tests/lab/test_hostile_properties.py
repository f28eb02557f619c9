"""Hostile input as properties (issue 4 §3): whatever the marketplace or the buyer sends.

* Any one field of a real fullinfo answer replaced by any JSON value (missing,
  wrong type, huge, binary, odd Unicode, impossible times): the adapter gives
  a trade whose every text can be stored, or ``MARKETPLACE_DATA_INVALID``
  naming the field; never another exception.
* Any buyer text (HTML, script, SQL, emoji, full-width digits, card numbers
  good and bad): intake stores it verbatim and planning either picks exactly
  the card ``bridge.core.cardno`` reads or sends the line to a person with a
  ``CARD_*`` reason; nothing is guessed.
"""

from __future__ import annotations

import asyncio
import itertools
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.taobao.client import FULLINFO_FIELDS
from adapters.taobao.sandbox import NewLine, TaobaoSandbox
from adapters.taobao.sandbox.render import FieldSpec, wire_trade
from adapters.taobao.wire import DATA_INVALID, parse_trade
from bridge.core.cardno import CardNumberError, extract_card_no
from bridge.core.errors import Permanent
from bridge.core.states import LineState
from bridge.lab import DEMO_MAPPINGS
from bridge.services.clock import DatabaseClock
from bridge.services.deps import Deps, Runtime
from bridge.services.intake import PollReport, ingest_trade
from bridge.services.mappings import load_mapping_set
from bridge.services.planning import card_rule, order_line
from bridge.settings import settings_from_dict
from bridge.store import MappingDir, open_store
from tests.factories import order_line as make_line
from tests.factories import trade as make_trade

_ODD = st.sampled_from(["\ud800", "\udc80", "\x00", "\u202e", "\u200d", "\ufeff", "📺", "８", "\U0010fffd"])
_TEXT = st.text(st.one_of(st.characters(), _ODD), max_size=60)
_TIMES = st.sampled_from(["2026-02-30 10:00:00", "0000-01-01 00:00:00", "9999-12-31 23:59:59", "2026-11-24"])
_JSON: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | _TEXT | _TIMES | st.just("x" * 100_000),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TEXT, inner, max_size=3),
    max_leaves=6,
)


def _real_answer() -> dict[str, Any]:
    sandbox = TaobaoSandbox()
    card = "卡号8371000012345678"
    line = NewLine("TV-RC-0100", "数字电视缴费卡 100元", 10000, 1, 10000, customization=card)
    trade = sandbox.create_trade("tb_buyer", [line], buyer_message=card)
    sandbox.book.pay(trade.tid)
    return wire_trade(trade, FieldSpec.parse(FULLINFO_FIELDS), simplify=True, full=True)


ANSWER = _real_answer()
TRADE_KEYS = sorted(ANSWER)
ORDER_KEYS = sorted(ANSWER["orders"][0])


def _texts(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, tuple):
        return [t for v in value for t in _texts(v)]
    return [t for v in vars(value).values() for t in _texts(v)] if hasattr(value, "__dict__") else []


@settings(max_examples=300, deadline=None)
@given(in_order=st.booleans(), key=st.data(), value=st.one_of(st.just(KeyError), _JSON))
def test_any_corrupted_field_is_stored_clean_or_refused_naming_the_field(
    in_order: bool, key: st.DataObject, value: Any
) -> None:
    """One field missing or replaced by anything: a storable trade, or DATA_INVALID naming a field."""
    answer = {**ANSWER, "orders": [dict(ANSWER["orders"][0])]}
    target = answer["orders"][0] if in_order else answer
    name = key.draw(st.sampled_from(ORDER_KEYS if in_order else TRADE_KEYS))
    if value is KeyError:
        del target[name]
    else:
        target[name] = value
    try:
        trade = parse_trade({"trade": answer})
    except Permanent as exc:
        assert exc.code == DATA_INVALID and "field" in exc.message, exc.message
        return
    for text in _texts(trade) + _texts(trade.lines[0]):
        text.encode("utf-8")  # storable: no lone surrogate got through


_PIECES = st.sampled_from(
    [
        "<script>alert('卡号')</script>",
        "<b>8371</b>",
        "'; DROP TABLE lines; --",
        '" OR 1=1 --',
        "📺👉",
        "８３７１０００１２３４５６７８９",
        "8371 0000 1234 5678",
        "8371-0000-8765-4321",
        "8371000012345678",
        "13800138000",
        "卡号",
        "，",
        " ",
        "\u200b",
        "\x00",
    ]
)
_BUYER_TEXT = st.lists(st.one_of(_PIECES, st.text(max_size=8)), max_size=8).map("".join)


def _settings(database: str) -> Any:
    config = {
        "database": database,
        "mappings_dir": str(DEMO_MAPPINGS),
        "billing": {"base_url": "http://127.0.0.1:9", "api_key": "k"},
        "shops": {"main": {"app_key": "a", "url": "http://127.0.0.1:9/router/rest"}},
    }
    env = {"BRIDGE_BILLING_SECRET": "s", "BRIDGE_SHOP_APP_SECRET": "s", "BRIDGE_SHOP_SESSION": "s"}
    return settings_from_dict(config, env, source="<generated>")


@pytest.mark.timeout(120)
def test_any_buyer_text_is_kept_verbatim_and_planned_without_guessing(database: str) -> None:
    """Stored as written (NUL as U+FFFD); READY for exactly the card the rules read, else a CARD_* reason."""
    tids = itertools.count(10**17)
    with asyncio.Runner() as runner:
        store = runner.run(open_store(database))
        runtime = Runtime(load_mapping_set(MappingDir(DEMO_MAPPINGS)))
        clock = DatabaseClock(store.database_time)
        runner.run(clock.anchor())
        shops = {"main": SimpleNamespace(delivers_codes=True)}  # all planning reads of the shop's port
        files = MappingDir(DEMO_MAPPINGS)
        deps = Deps(_settings(database), store, None, shops, files, "props", runtime, clock)  # type: ignore[arg-type]

        @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
        @given(text=_BUYER_TEXT)
        def check(text: str) -> None:
            trade = make_trade(next(tids), make_line(oid=next(tids)), message=text)
            runner.run(ingest_trade(deps, "main", trade, PollReport("main")))
            [stored] = runner.run(store.views.find_trades(trade.tid, "main"))
            [line] = runner.run(store.delivery.trade_lines(stored.id))
            assert stored.buyer_message == text.replace("\x00", "\ufffd")  # PostgreSQL refuses NUL
            try:
                card = extract_card_no(trade, order_line(line), card_rule(deps, "main"))
            except CardNumberError as exc:
                assert (line.state, line.reason) == (LineState.EXCEPTION, exc.reason.value)
            else:
                assert (line.state, line.card_no) == (LineState.READY, card)

        try:
            check()
        finally:
            runner.run(store.close())
