"""The signature and time helpers against every vector of taobao-top.md §1.5."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from adapters.taobao.signing import format_timestamp, parse_request_timestamp, parse_timestamp, sign
from bridge.core.models import CST

V1 = {
    "app_key": "12345678",
    "fields": "num_iid,title,nick,price,num",
    "format": "json",
    "method": "taobao.item.seller.get",
    "num_iid": "11223344",
    "session": "test",
    "sign_method": "md5",
    "timestamp": "2016-01-01 12:00:00",
    "v": "2.0",
}
V2 = {
    "app_key": "test",
    "fields": "nick",
    "format": "xml",
    "method": "taobao.user.seller.get",
    "session": "test",
    "sign_method": "md5",
    "timestamp": "2013-05-06 13:52:03",
    "v": "2.0",
}
V3 = {
    "app_key": "12345678",
    "end_modified": "2024-05-01 12:00:00",
    "fields": "tid,status,modified,orders",
    "format": "json",
    "method": "taobao.trades.sold.increment.get",
    "page_no": "1",
    "page_size": "50",
    "session": "test-session",
    "simplify": "true",
    "start_modified": "2024-05-01 11:30:00",
    "status": "WAIT_SELLER_SEND_GOODS",
    "timestamp": "2024-05-01 12:00:00",
    "use_has_next": "true",
    "v": "2.0",
}
V4 = {
    "app_key": "12345678",
    "flag": "3",
    "format": "json",
    "memo": "已充值 卡号:8888",
    "method": "taobao.trade.memo.update",
    "session": "test",
    "sign_method": "hmac-sha256",
    "tid": "1234567890123456789",
    "timestamp": "2024-05-01 12:00:00",
    "v": "2.0",
}


@pytest.mark.parametrize(
    ("name", "params", "secret", "method", "expected"),
    [
        ("V1", V1, "helloworld", "md5", "66987CB115214E59E6EC978214934FB8"),
        ("V2", V2, "test", "md5", "72CB4D809B375A54502C09360D879C64"),
        ("V1-hmac", {**V1, "sign_method": "hmac"}, "helloworld", "hmac", "D56D7858309C31B6251083A874D48273"),
        (
            "V1-sha256",
            {**V1, "sign_method": "hmac-sha256"},
            "helloworld",
            "hmac-sha256",
            "04DB15AD0774D5CFCE2C837DE43E3FCEA9011ED74F3038FB6AB5F3C4CEA119E8",
        ),
        ("V5", {**V1, "status": ""}, "helloworld", "md5", "66987CB115214E59E6EC978214934FB8"),
        ("V3-md5", {**V3, "sign_method": "md5"}, "helloworld", "md5", "2486F09E0BD3F8B6BD93B57CD93027E4"),
        ("V3-hmac", {**V3, "sign_method": "hmac"}, "helloworld", "hmac", "45A88F974C6DCA7A9398D37CE4CAA938"),
        (
            "V3-sha256",
            {**V3, "sign_method": "hmac-sha256"},
            "helloworld",
            "hmac-sha256",
            "A4ED2597E1C56A003F720B459949CD97E87F07C82EDA24D7B7B3F5D9DBCF7D95",
        ),
        (
            "V4",
            V4,
            "helloworld",
            "hmac-sha256",
            "65A055AC104F8DDDB099B2C51610998E224017FC505625C2B9F649C3BB011970",
        ),
    ],
)
def test_published_and_computed_vectors(
    name: str, params: dict[str, str], secret: str, method: str, expected: str
) -> None:
    """Each §1.5 vector signs to its expected upper-case hex."""
    assert sign(params, secret, method) == expected


def test_sign_ignores_an_existing_sign_and_key_order() -> None:
    """``sign`` itself is excluded and the input order does not matter."""
    shuffled = dict(reversed(list({**V1, "sign": "WHATEVER"}.items())))
    assert sign(shuffled, "helloworld", "md5") == "66987CB115214E59E6EC978214934FB8"


def test_keys_sort_by_bytes_not_case_folded() -> None:
    """Upper-case names sort before lower-case ones, as in byte order."""
    assert sign({"b": "1", "B": "2"}, "s", "md5") == sign({"B": "2", "b": "1"}, "s", "md5")
    assert sign({"b": "1", "B": "2"}, "s", "md5") != sign({"b": "2", "B": "1"}, "s", "md5")


def test_unknown_method_is_refused() -> None:
    """Only md5, hmac and hmac-sha256 exist."""
    with pytest.raises(ValueError, match="sha1"):
        sign(V1, "helloworld", "sha1")


def test_format_timestamp_converts_to_gmt8() -> None:
    """A UTC time is written as GMT+8 wall-clock text."""
    assert format_timestamp(datetime(2016, 1, 1, 4, 0, tzinfo=UTC)) == "2016-01-01 12:00:00"


def test_format_timestamp_refuses_naive_times() -> None:
    """A naive datetime has no zone to convert from."""
    with pytest.raises(ValueError, match="naive"):
        format_timestamp(datetime(2016, 1, 1, 12, 0))


def test_parse_timestamp_is_gmt8_aware() -> None:
    """Marketplace text is read as China Standard Time."""
    parsed = parse_timestamp("2016-01-01 12:00:00")
    assert parsed == datetime(2016, 1, 1, 4, 0, tzinfo=UTC)
    assert parsed.utcoffset() == CST.utcoffset(None)


@pytest.mark.parametrize("text", ["2016-01-01T12:00:00", "2016/01/01 12:00:00", "", "yesterday"])
def test_parse_timestamp_rejects_other_shapes(text: str) -> None:
    """Anything but ``yyyy-MM-dd HH:mm:ss`` is a ValueError."""
    with pytest.raises(ValueError):
        parse_timestamp(text)


def test_request_timestamp_accepts_epoch_milliseconds() -> None:
    """The official Python SDK's ms-epoch form means the same instant as the text form."""
    assert parse_request_timestamp("1451620800000") == parse_request_timestamp("2016-01-01 12:00:00")
