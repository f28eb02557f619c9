"""Request_ids: built as ``shop:tid:oid:part``, read back, and held to the billing core's wire rule."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.core.request_ids import (
    MAX_OID,
    MAX_PART,
    MAX_SHOP,
    MAX_TID,
    RequestId,
    RequestIdError,
    build,
    is_order_id,
    is_shop_name,
    is_valid,
    order_id_problem,
    parse,
)

SHOP_NAMES = st.from_regex(r"[A-Za-z0-9._-]{1,16}", fullmatch=True)
TIDS = st.from_regex(r"[A-Za-z0-9._-]{1,22}", fullmatch=True)
OIDS = st.from_regex(r"[A-Za-z0-9._-]{1,19}", fullmatch=True)
TAOBAO_IDS = st.integers(min_value=0, max_value=2**63 - 1)  # an int64: up to 19 digits
PARTS = st.integers(min_value=0, max_value=MAX_PART)


@settings(max_examples=300, deadline=None)
@given(shop=SHOP_NAMES, tid=TIDS, oid=OIDS, part=PARTS)
def test_a_built_request_id_reads_back_as_the_same_value(shop: str, tid: str, oid: str, part: int) -> None:
    """For any shop name the settings accept and any ids within the limits: a valid id, and parsing
    it gives back the same parts and text."""
    assert is_shop_name(shop) and is_order_id(tid, MAX_TID) and is_order_id(oid, MAX_OID)
    text = build(shop, tid, oid, part)
    assert text == f"{shop}:{tid}:{oid}:{part}" and is_valid(text)
    assert parse(text) == RequestId(shop, tid, oid, part)
    assert str(parse(text)) == text


@settings(max_examples=300, deadline=None)
@given(shop=SHOP_NAMES, tid=TAOBAO_IDS, oid=TAOBAO_IDS, part=PARTS)
def test_a_taobao_request_id_is_byte_for_byte_the_one_numbers_gave(
    shop: str, tid: int, oid: int, part: int
) -> None:
    """A Taobao id stored as the decimal text of its number builds the very id the numbers built."""
    assert build(shop, str(tid), str(oid), part) == f"{shop}:{tid}:{oid}:{part}"


def test_the_longest_ids_keep_the_wire_rule() -> None:
    """16 + 22 + 19 + 4 characters and 3 colons: exactly 64, the billing core's limit."""
    text = build("s" * MAX_SHOP, "231207-123456789012345", "9" * MAX_OID, MAX_PART)
    assert len(text) == 64 and is_valid(text)


@pytest.mark.parametrize(
    ("tid", "oids", "problem"),
    [
        ("231207-123456789012345", ["9223372036854775807"], None),
        ("1" * 23, ["1"], "tid '11111111111111111111111' is not 1-22 chars"),
        ("1001", ["2" * 20], "oid '22222222222222222222' of tid 1001 is not 1-19 chars"),
        ("10:01", ["1"], "tid '10:01' is not"),
        ("1001", [""], "oid '' of tid 1001"),
    ],
)  # fmt: skip  # one case per line reads as a table
def test_order_id_problem(tid: str, oids: list[str], problem: str | None) -> None:
    """A trade whose ids could not name its request_ids is refused, with the id and the limit."""
    found = order_id_problem(tid, oids)
    assert found == problem if problem is None else (found is not None and found.startswith(problem))


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("tv:1001:2001:0", RequestId("tv", "1001", "2001", 0)),
        ("henan-tv.2:3001234567890123:31:7", RequestId("henan-tv.2", "3001234567890123", "31", 7)),
        ("tv:01001:02001:7", RequestId("tv", "01001", "02001", 7)),  # ids are text: another line
        ("pdd:231207-123456789012345:1:0", RequestId("pdd", "231207-123456789012345", "1", 0)),
        ("manual-1", None),
        ("counter-20261124-1", None),
        ("tv:x:1:0", RequestId("tv", "x", "1", 0)),
        ("tv:1:2", None),
        ("tv:1:2:3:4", None),
        ("tv:1:2:x", None),
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
        ("河南有线", "1", "2", 0, "not 1-64 chars"),
        ("my shop", "1", "2", 0, "not 1-64 chars"),
        ("s" * 40, "3001234567890123", "3001234567890124", 0, "not 1-64 chars"),
        ("a:b", "1", "2", 0, "does not read back"),
        ("tv", "", "2", 0, "does not read back"),
        ("tv", "1", "2", -3, "does not read back"),
    ],
)
def test_a_request_id_that_breaks_the_rule_cannot_be_made(
    shop: str, tid: str, oid: str, part: int, why: str
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
