"""Request_ids: built as ``shop:tid:oid:part``, read back, and held to the billing core's wire rule."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.core.request_ids import RequestId, RequestIdError, build, is_shop_name, is_valid, parse

SHOP_NAMES = st.from_regex(r"[A-Za-z0-9._-]{1,16}", fullmatch=True)
MARKETPLACE_IDS = st.integers(min_value=0, max_value=10**20 - 1)  # up to 20 digits
PARTS = st.integers(min_value=0, max_value=999)


@settings(max_examples=300, deadline=None)
@given(shop=SHOP_NAMES, tid=MARKETPLACE_IDS, oid=MARKETPLACE_IDS, part=PARTS)
def test_a_built_request_id_reads_back_as_the_same_value(shop: str, tid: int, oid: int, part: int) -> None:
    """For any shop name the settings accept and any marketplace ids: a valid id, and parsing it
    gives back the same parts and text."""
    assert is_shop_name(shop)
    text = build(shop, tid, oid, part)
    assert text == f"{shop}:{tid}:{oid}:{part}" and is_valid(text)
    assert parse(text) == RequestId(shop, tid, oid, part)
    assert str(parse(text)) == text


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("tv:1001:2001:0", RequestId("tv", 1001, 2001, 0)),
        ("henan-tv.2:3001234567890123:31:7", RequestId("henan-tv.2", 3001234567890123, 31, 7)),
        ("tv:01001:02001:7", RequestId("tv", 1001, 2001, 7)),  # numbers read as numbers: the same line
        ("manual-1", None),
        ("counter-20261124-1", None),
        ("tv:x:1:0", None),
        ("tv:1:2", None),
        ("tv:1:2:3:4", None),
        ("tv:-1:2:0", None),
        ("my shop:1:2:0", None),  # not a request_id at all (a space)
        ("tv:1:2:0\n", None),
        ("tv:١:2:0", None),  # digits, but not ASCII ones
    ],
)  # fmt: skip  # one case per line reads as a table
def test_parse(text: str, parts: RequestId | None) -> None:
    """Only a valid request_id of the planner's shape has parts; any other id has none."""
    assert parse(text) == parts


@pytest.mark.parametrize(
    ("text", "valid"),
    [("a", True), ("a" * 64, True), ("a" * 65, False), ("", False), ("shop1:tid.42-oid_7", True),
     ("a b", False), ("a/b", False), ("订单", False), ("a\n", False)],
)  # fmt: skip  # one case per line reads as a table
def test_wire_rule(text: str, valid: bool) -> None:
    """1-64 characters of ``[A-Za-z0-9._:-]``, nothing else."""
    assert is_valid(text) is valid


@pytest.mark.parametrize(
    ("shop", "tid", "oid", "part", "why"),
    [
        ("河南有线", 1, 2, 0, "not 1-64 chars"),
        ("my shop", 1, 2, 0, "not 1-64 chars"),
        ("s" * 40, 3001234567890123, 3001234567890124, 0, "not 1-64 chars"),
        ("a:b", 1, 2, 0, "does not read back"),
        ("tv", -1, 2, 0, "does not read back"),
        ("tv", 1, 2, -3, "does not read back"),
    ],
)
def test_a_request_id_that_breaks_the_rule_cannot_be_made(
    shop: str, tid: int, oid: int, part: int, why: str
) -> None:
    """``RequestIdError`` (a ``ValueError``) names the id and the rule it breaks."""
    with pytest.raises(RequestIdError, match=f"request_id .*{why}"):
        RequestId(shop, tid, oid, part)
    with pytest.raises(ValueError, match="request_id"):
        build(shop, tid, oid, part)


@pytest.mark.parametrize(
    ("name", "usable"),
    [("main", True), ("henan-tv", True), ("shop_1.a", True), ("s" * 16, True), ("s" * 17, False),
     ("", False), ("my shop", False), ("河南有线", False), ("a:b", False), ("main\n", False)],
)  # fmt: skip  # one case per line reads as a table
def test_shop_names(name: str, usable: bool) -> None:
    """1-16 characters of ``A-Z a-z 0-9 . _ -``: what the settings accept as a shop's name."""
    assert is_shop_name(name) is usable
