"""Planning order lines into billing operations, and building the mapping set from TOML text."""

from __future__ import annotations

import re

import pytest

import bridge.core.mapping
from bridge.core.cardno import CardReason
from bridge.core.errors import Permanent
from bridge.core.mapping import (
    REASON_TEXT_ZH,
    Delivery,
    LinePlan,
    MappingProblem,
    MappingSet,
    PlanError,
    PlanReason,
    Severity,
    build_mapping_set,
    mapping_version,
    plan_line,
    request_id,
    requires_card_no,
    sku_is_mapped,
)
from bridge.core.models import IssueCards, Recharge, Subscribe
from bridge.core.trades import OrderLine, OrderState

CARD = "8371000012345678"
SHOP = "henan-tv"
TID = "3001234567890"
OID = "3001234567891"

CATALOGUE = """\
[[product]]
code = "RC-0050"
name = "数字电视缴费卡 50元"
kind = "recharge"
price_fen = 5000

[[product]]
code = "RC-2000"
name = "数字电视缴费卡 2000元"
kind = "recharge"
price_fen = 200000

[[product]]
code = "CH-FYZQ"
name = "风云足球"
kind = "channel"
price_fen = 200
period = "month"
"""

SKUS = """\
[[sku]]
outer_sku_id = "TV-RC-0050"
product = "RC-0050"
units = 1
delivery = "topup"
price_fen = 5000

[[sku]]
outer_sku_id = "TV-RC-2000"
product = "RC-2000"
units = 1
delivery = "topup"
price_fen = 200000

[[sku]]
outer_sku_id = "TV-CARD-0050"
product = "RC-0050"
units = 1
delivery = "card"
price_fen = 5000

[[sku]]
outer_sku_id = "TV-RC-0050-X2"
product = "RC-0050"
units = 2
delivery = "topup"
price_fen = 10000
title = "两张装"

[[sku]]
outer_sku_id = "TV-CH-FYZQ-1M"
product = "CH-FYZQ"
units = 1
delivery = "topup"
price_fen = 200

[[sku]]
outer_sku_id = "TV-CH-FYZQ-12M"
product = "CH-FYZQ"
units = 12
delivery = "topup"
price_fen = 2400
"""


@pytest.fixture(scope="module")
def mapping() -> MappingSet:
    result = build_mapping_set(CATALOGUE, SKUS)
    assert isinstance(result, MappingSet), result
    return result


def _line(sku: str | None, quantity: int, paid_fen: int, oid: str = OID) -> OrderLine:
    return OrderLine(
        oid=oid,
        sku_code=sku,
        platform_sku_id="5011",
        title="listing",
        quantity=quantity,
        price_fen=paid_fen // max(quantity, 1),
        payment_fen=paid_fen,
        state=OrderState.PAID,
    )


def _rid(part: int) -> str:
    return f"{SHOP}:{TID}:{OID}:{part}"


OPERATIONS = [
    # (id, sku, quantity, paid fen, expected operations)
    ("topup single", "TV-RC-0050", 1, 5000, (Recharge(_rid(0), CARD, 5000),)),
    ("topup quantity 3 is one credit", "TV-RC-0050", 3, 15000, (Recharge(_rid(0), CARD, 15000),)),
    ("topup two-card SKU × 2", "TV-RC-0050-X2", 2, 20000, (Recharge(_rid(0), CARD, 20000),)),
    ("topup at the cap is one part", "TV-RC-2000", 2, 400000, (Recharge(_rid(0), CARD, 400000),)),
    (
        "3 × 2000 yuan splits at the cap",
        "TV-RC-2000",
        3,
        600000,
        (Recharge(_rid(0), CARD, 500000), Recharge(_rid(1), CARD, 100000)),
    ),
    (
        "5 × 2000 yuan: two full parts",
        "TV-RC-2000",
        5,
        1000000,
        (Recharge(_rid(0), CARD, 500000), Recharge(_rid(1), CARD, 500000)),
    ),
    ("channel 1 month × 3", "TV-CH-FYZQ-1M", 3, 600, (Subscribe(_rid(0), CARD, "CH-FYZQ", 3),)),
    ("channel 12 months × 3 = 36", "TV-CH-FYZQ-12M", 3, 7200, (Subscribe(_rid(0), CARD, "CH-FYZQ", 36),)),
    ("card delivery × 2", "TV-CARD-0050", 2, 10000, (IssueCards(_rid(0), 5000, 2),)),
    ("card delivery × 20 is one part", "TV-CARD-0050", 20, 100000, (IssueCards(_rid(0), 5000, 20),)),
    (
        "card delivery × 45 splits by 20",
        "TV-CARD-0050",
        45,
        225000,
        (IssueCards(_rid(0), 5000, 20), IssueCards(_rid(1), 5000, 20), IssueCards(_rid(2), 5000, 5)),
    ),
]


@pytest.mark.parametrize(
    ("sku", "quantity", "paid", "expected"),
    [case[1:] for case in OPERATIONS],
    ids=[case[0] for case in OPERATIONS],
)
def test_plan_operations(
    mapping: MappingSet, sku: str, quantity: int, paid: int, expected: tuple[object]
) -> None:
    """Each kind of line becomes exactly these operations, with part-numbered request ids."""
    card = "" if sku.startswith("TV-CARD") else CARD
    assert plan_line(SHOP, TID, _line(sku, quantity, paid), card, mapping).operations == expected


def test_plan_describes_the_line(mapping: MappingSet) -> None:
    """The plan names the product, the delivery, the units and the amount it checked."""
    plan = plan_line(SHOP, TID, _line("TV-CH-FYZQ-12M", 2, 4800), CARD, mapping)
    assert (plan.product_code, plan.product_name, plan.delivery) == ("CH-FYZQ", "风云足球", Delivery.TOPUP)
    assert (plan.units_total, plan.expected_payment_fen) == (24, 4800)


def test_op_cap_is_a_parameter(mapping: MappingSet) -> None:
    """A lower per-operation cap splits a credit into more parts."""
    plan = plan_line(SHOP, TID, _line("TV-RC-2000", 1, 200000), CARD, mapping, op_cap_fen=75000)
    assert [op.amount_fen for op in plan.operations if isinstance(op, Recharge)] == [75000, 75000, 50000]


REFUSED = [
    # (id, sku, quantity, paid fen, reason)
    ("no outer_sku_id", None, 1, 5000, PlanReason.UNMAPPED_SKU),
    ("empty outer_sku_id", "", 1, 5000, PlanReason.UNMAPPED_SKU),
    ("unknown outer_sku_id", "TV-RC-9999", 1, 5000, PlanReason.UNMAPPED_SKU),
    ("outer_sku_id differs in case", "tv-rc-0050", 1, 5000, PlanReason.UNMAPPED_SKU),
    ("paid less than the price", "TV-RC-0050", 1, 4500, PlanReason.AMOUNT_MISMATCH),
    ("paid more than the price", "TV-RC-0050", 2, 10001, PlanReason.AMOUNT_MISMATCH),
    ("paid for one, bought two", "TV-CH-FYZQ-1M", 2, 200, PlanReason.AMOUNT_MISMATCH),
    ("quantity zero", "TV-RC-0050", 0, 0, PlanReason.QUANTITY_INVALID),
    ("quantity negative", "TV-RC-0050", -1, 5000, PlanReason.QUANTITY_INVALID),
    ("37 months", "TV-CH-FYZQ-1M", 37, 7400, PlanReason.QUANTITY_INVALID),
    ("12 months × 4 = 48", "TV-CH-FYZQ-12M", 4, 9600, PlanReason.QUANTITY_INVALID),
]


@pytest.mark.parametrize(
    ("sku", "quantity", "paid", "reason"),
    [case[1:] for case in REFUSED],
    ids=[case[0] for case in REFUSED],
)
def test_plan_refused(
    mapping: MappingSet, sku: str | None, quantity: int, paid: int, reason: PlanReason
) -> None:
    """Lines that cannot be provisioned raise PlanError with the reason code."""
    with pytest.raises(PlanError) as caught:
        plan_line(SHOP, TID, _line(sku, quantity, paid), CARD, mapping)
    assert caught.value.reason is reason
    assert caught.value.code == reason.value


def test_amount_mismatch_detail_gives_both_figures_in_yuan(mapping: MappingSet) -> None:
    """CS sees what was paid and what was expected, in yuan."""
    with pytest.raises(PlanError) as caught:
        plan_line(SHOP, TID, _line("TV-RC-0050", 3, 14000), CARD, mapping)
    assert caught.value.detail == "paid 140.00 yuan, expected 150.00 yuan (3 × 50.00)"


def test_unmapped_detail_names_the_sku_and_mapping_version(mapping: MappingSet) -> None:
    """The detail says which SKU was missing from which mapping version."""
    with pytest.raises(PlanError) as caught:
        plan_line(SHOP, TID, _line("TV-NEW-1", 1, 100), CARD, mapping)
    assert "TV-NEW-1" in caught.value.detail
    assert mapping.version in caught.value.detail


def test_card_codes_are_refused_where_the_storefront_cannot_deliver_them(mapping: MappingSet) -> None:
    """A card-delivery line on a storefront without code delivery is a person's, never planned."""
    with pytest.raises(PlanError) as caught:
        plan_line(SHOP, TID, _line("TV-CARD-0050", 2, 10000), "", mapping, delivers_codes=False)
    assert caught.value.reason is PlanReason.CODES_NOT_DELIVERABLE


def test_plan_error_is_permanent() -> None:
    """A planning failure is for a person to decide, in the project's error tree."""
    assert issubclass(PlanError, Permanent)


def test_topup_without_card_number_is_a_caller_bug(mapping: MappingSet) -> None:
    """A top-up line planned without a card number is refused loudly, not sent."""
    with pytest.raises(ValueError, match="card number"):
        plan_line(SHOP, TID, _line("TV-RC-0050", 1, 5000), "", mapping)


def test_planning_is_deterministic(mapping: MappingSet) -> None:
    """The same line planned twice gives equal plans (request ids never change)."""
    line = _line("TV-RC-2000", 3, 600000)
    first: LinePlan = plan_line(SHOP, TID, line, CARD, mapping)
    assert plan_line(SHOP, TID, line, CARD, mapping) == first


@pytest.mark.parametrize(
    ("shop", "tid", "oid", "part", "expected"),
    [
        ("henan-tv", "1", "2", 0, "henan-tv:1:2:0"),
        (
            "shop_1.a",
            "3001234567890123",
            "3001234567890124",
            7,
            "shop_1.a:3001234567890123:3001234567890124:7",
        ),
    ],
)
def test_request_id_format(shop: str, tid: str, oid: str, part: int, expected: str) -> None:
    """request_id is exactly shop:tid:oid:part and fits the billing core's rule."""
    value = request_id(shop, tid, oid, part)
    assert value == expected
    assert re.fullmatch(r"[A-Za-z0-9._:-]{1,64}", value)


@pytest.mark.parametrize("shop", ["河南有线", "my shop", "s" * 40], ids=["chinese", "space", "too long"])
def test_request_id_refuses_an_unusable_shop_name(shop: str) -> None:
    """A shop name that would break the billing core's request_id rule is refused."""
    with pytest.raises(ValueError, match="request_id"):
        request_id(shop, "3001234567890123", "3001234567890124", 0)


def test_each_part_has_its_own_request_id(mapping: MappingSet) -> None:
    """Parts of one line are told apart by their last segment."""
    plan = plan_line(SHOP, TID, _line("TV-CARD-0050", 45, 225000), "", mapping)
    assert [op.request_id for op in plan.operations] == [_rid(0), _rid(1), _rid(2)]


@pytest.mark.parametrize(
    ("sku", "needs_card", "mapped"),
    [
        ("TV-RC-0050", True, True),
        ("TV-CH-FYZQ-1M", True, True),
        ("TV-CARD-0050", False, True),
        ("TV-NOPE", False, False),
        (None, False, False),
    ],
)
def test_sku_lookups(mapping: MappingSet, sku: str | None, needs_card: bool, mapped: bool) -> None:
    """Only top-up SKUs need the buyer's card; unmapped ones go straight to UNMAPPED_SKU."""
    assert requires_card_no(_line(sku, 1, 100), mapping) is needs_card
    assert sku_is_mapped(mapping, sku) is mapped


def test_every_reason_code_has_chinese_text() -> None:
    """CS gets a Chinese text for every planning and card reason code."""
    assert set(REASON_TEXT_ZH) == {*PlanReason, *CardReason}
    assert REASON_TEXT_ZH["UNMAPPED_SKU"] == "商品编码未配置映射，请管理员添加 SKU 映射"


# --------------------------------------------------------- building the set


def test_build_gives_a_versioned_set(mapping: MappingSet) -> None:
    """A valid pair of files gives every SKU, every product and a 12-hex-digit version."""
    assert len(mapping.skus.rules) == 6
    assert set(mapping.catalogue.products) == {"RC-0050", "RC-2000", "CH-FYZQ"}
    assert re.fullmatch(r"[0-9a-f]{12}", mapping.version)
    assert mapping.skus.rules["TV-RC-0050-X2"].title == "两张装"


def test_version_follows_content() -> None:
    """Equal texts give equal versions; any edit, in either file, changes it."""
    base = mapping_version(CATALOGUE, SKUS)
    assert mapping_version(CATALOGUE, SKUS) == base
    assert mapping_version(CATALOGUE, SKUS + "\n") != base
    assert mapping_version(CATALOGUE + "\n", SKUS) != base
    assert mapping_version(SKUS, CATALOGUE) != base


def test_errors_block_the_set() -> None:
    """One error anywhere and the result is the list of problems, not a set."""
    result = build_mapping_set(CATALOGUE, SKUS.replace("price_fen = 200\n", "price_fen = 250\n"))
    assert isinstance(result, list)
    assert [p.field for p in result if p.severity is Severity.ERROR] == ["sku[5].price_fen"]


def test_warnings_do_not_block() -> None:
    """A catalogue product no SKU sells is a warning carried on the set."""
    extra = (
        CATALOGUE + '\n[[product]]\ncode = "CH-GEF"\nname = "高尔夫"\nkind = "channel"\nprice_fen = 6000\n'
    )
    result = build_mapping_set(extra, SKUS)
    assert isinstance(result, MappingSet)
    assert result.warnings == (
        MappingProblem(
            "mappings/catalogue.toml",
            21,
            "product[4].code",
            "CH-GEF is not sold by any SKU",
            Severity.WARNING,
        ),
    )


def test_problem_text_format() -> None:
    """A problem reads file:line: field: message; warnings say so."""
    error = MappingProblem(
        "mappings/skus.toml", 57, "sku[12].prodcut", 'unknown field (did you mean "product"?)'
    )
    warning = MappingProblem("m/c.toml", 3, "product[1].code", "not sold", Severity.WARNING)
    whole = MappingProblem("m/c.toml", 0, "", "cannot read the file")
    assert str(error) == 'mappings/skus.toml:57: sku[12].prodcut: unknown field (did you mean "product"?)'
    assert str(warning) == "m/c.toml:3: product[1].code: warning: not sold"
    assert str(whole) == "m/c.toml: cannot read the file"


def test_public_api_is_pinned() -> None:
    """The names other modules rely on stay exported."""
    assert set(bridge.core.mapping.__all__) >= {
        "MappingSet",
        "LinePlan",
        "PlanError",
        "PlanReason",
        "REASON_TEXT_ZH",
        "build_mapping_set",
        "parse_catalogue",
        "parse_skus",
        "plan_line",
        "request_id",
        "requires_card_no",
        "sku_is_mapped",
    }
    assert all(hasattr(bridge.core.mapping, name) for name in bridge.core.mapping.__all__)
