"""The gateway's signature and time forms, pinned by vectors computed by hand (openssl md5).

The platform publishes the algorithm but no worked example we could find
(docs/storefronts/pinduoduo.md §1), so the vectors were written out as the
algorithm reads — secret, sorted ``name+value`` pairs, secret — and hashed
with ``openssl md5``, not with this module.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from adapters.pinduoduo.signing import canonical, format_time, from_epoch, parse_time, sign, to_epoch
from bridge.core.models import CST

ORDER_INFO = {
    "type": "pdd.order.information.get",
    "client_id": "abc123",
    "access_token": "tok",
    "timestamp": "1700000000",
    "data_type": "JSON",
    "order_sn": "231207-123456789012345",
}


def test_signature_matches_the_hand_computed_vector() -> None:
    """MD5 of secret + sorted name/value pairs + secret, upper-case hex."""
    assert sign(ORDER_INFO, "s3cret") == "951DB113366881EC5D857B5B6AFF3D88"


def test_a_call_without_token_signs_what_it_sends() -> None:
    """``pdd.time.get`` needs no access_token: the signature covers only what is sent."""
    params = {"type": "pdd.time.get", "client_id": "sandbox-client", "timestamp": "1700000000"}
    assert sign(params, "sandbox-secret") == "B30E74BA40171F342918D74C46FF0964"


def test_sign_itself_is_never_signed() -> None:
    """A ``sign`` already in the parameters changes nothing."""
    assert sign({**ORDER_INFO, "sign": "ANYTHING"}, "s3cret") == sign(ORDER_INFO, "s3cret")


def test_names_are_sorted_by_bytes_not_as_given() -> None:
    """The order the parameters were given in does not matter."""
    assert canonical({"b": "2", "a": "1", "B": "3"}) == "B3a1b2"


def test_epoch_seconds_round_down_or_up() -> None:
    """Window starts cut to the second, ends round up, so a window never loses its edges."""
    moment = datetime(2023, 11, 14, 22, 13, 20, 500_000, tzinfo=UTC)
    assert (to_epoch(moment), to_epoch(moment, round_up=True)) == (1700000000, 1700000001)


def test_naive_datetimes_are_refused() -> None:
    """A time without a zone cannot be told to the platform."""
    with pytest.raises(ValueError, match="naive"):
        to_epoch(datetime(2023, 11, 14))


def test_answer_times_are_china_standard_time() -> None:
    """``yyyy-MM-dd HH:mm:ss`` reads as GMT+8 and writes back the same."""
    read = parse_time("2023-11-15 06:13:20")
    assert read == from_epoch(1700000000) and read.utcoffset() == timedelta(hours=8)
    assert format_time(read.astimezone(UTC)) == "2023-11-15 06:13:20"
    assert read.tzinfo == CST
