"""The editor's wording of a mapping problem: the SKU, its row and the field in Chinese, no file."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.core.mapping import MappingProblem, Severity, check_texts
from bridge.core.mapping.wording import problem_text, what

CATALOGUE = """
[[product]]
code = "CH-FYZQ"
name = "风云足球"
kind = "channel"
price_fen = 200
period = "month"

[[product]]
code = "RC-0050"
name = "缴费卡 50元"
kind = "recharge"
price_fen = 5000
"""
FILES = ("/tmp/tmpab12/mappings/catalogue.toml", "/tmp/tmpab12/mappings/skus.toml")


def _sku(**fields: object) -> str:
    base: dict[str, object] = {
        "outer_sku_id": "1234567",
        "product": "CH-FYZQ",
        "units": 3,
        "delivery": "topup",
        "price_fen": 600,
    }
    base.update(fields)
    body = "\n".join(f"{k} = {v!r}".replace("'", '"') for k, v in base.items() if v is not None)
    return f"[[sku]]\n{body}\n"


def _problems(*tables: str) -> list[MappingProblem]:
    _, _, problems = check_texts(CATALOGUE, "\n".join(tables), FILES)
    return [p for p in problems if p.severity is Severity.ERROR]


def _texts(*tables: str, lang: str = "zh") -> list[str]:
    return [problem_text(p, lang) for p in _problems(*tables)]


OK_A = _sku(outer_sku_id="TV-A")
OK_B = _sku(outer_sku_id="TV-B", product="RC-0050", units=1, price_fen=5000)


@pytest.mark.parametrize(
    ("table", "zh"),
    [
        (_sku(price_fen=0), "SKU 1234567（第 3 行）：价格必须大于 0 元"),
        (_sku(units=0), "SKU 1234567（第 3 行）：每件数量必须大于 0"),
        (_sku(price_fen=500), "SKU 1234567（第 3 行）：价格 ¥5.00 与产品 CH-FYZQ 不符：¥2.00 × 3 = ¥6.00"),
        (
            _sku(product="CH-FYZQQ"),
            "SKU 1234567（第 3 行）：计费产品「CH-FYZQQ」不在产品目录中（是不是「CH-FYZQ」？）",
        ),
        (_sku(delivery="card"), "SKU 1234567（第 3 行）：频道 CH-FYZQ 只能用「直充」发货"),
        (_sku(delivery="post"), "SKU 1234567（第 3 行）：发货方式只能是「直充」或「卡密」（现在是「post」）"),
        (
            _sku(units=40, price_fen=8000),
            "SKU 1234567（第 3 行）：每件数量 40 个月超过了计费系统的上限 36 个月",
        ),
        (_sku(units="3个月"), "SKU 1234567（第 3 行）：每件数量必须是整数（现在是「3个月」）"),
        (_sku(product=None), "SKU 1234567（第 3 行）：缺少计费产品"),
        (_sku(product=""), "SKU 1234567（第 3 行）：计费产品不能为空"),
        (_sku(prodcut="CH-FYZQ"), "SKU 1234567（第 3 行）：有不认识的字段「prodcut」（是不是「product」？）"),
        (_sku(outer_sku_id="TV-A"), "SKU TV-A（第 3 行）：商家编码「TV-A」重复：第 1 行已经用过"),
    ],
)
def test_a_problem_names_the_sku_its_row_and_the_field_in_chinese(table: str, zh: str) -> None:
    """The third mapping of the table is row 3; the file and its line never appear."""
    [text] = _texts(OK_A, OK_B, table)
    assert text == zh
    assert "skus.toml" not in text and "/tmp" not in text and "sku[" not in text


def test_the_english_view_says_the_same() -> None:
    [text] = _texts(OK_A, _sku(price_fen=500), lang="en")
    assert text == "SKU 1234567 (row 2): price ¥5.00 does not match product CH-FYZQ: ¥2.00 × 3 = ¥6.00"


def test_a_sku_without_a_readable_code_is_named_by_its_row() -> None:
    [text] = _texts(OK_A, _sku(outer_sku_id=None))
    assert text == "SKU（第 2 行）：缺少商家编码"


def test_the_cli_keeps_file_line_and_field() -> None:
    """The same problem, printed by `bridge mappings check`, still names the file and line."""
    [problem] = _problems(OK_A, _sku(price_fen=0))
    assert str(problem).startswith("/tmp/tmpab12/mappings/skus.toml:")
    assert ": sku[2].price_fen: must be a positive integer, got 0" in str(problem)


def test_a_file_level_problem_names_the_table_not_the_file() -> None:
    problem = MappingProblem("/srv/x/mappings/skus.toml", 4, "", "TOML syntax error: ...", code="syntax")
    assert problem_text(problem) == "SKU 映射表：文件格式（TOML）有错，无法读取"


def test_an_unknown_code_falls_back_to_the_message_without_the_file() -> None:
    problem = MappingProblem("/srv/x/mappings/skus.toml", 4, "sku[2].units", "odd", row=2, subject="S")
    assert problem_text(problem) == "SKU S（第 2 行）：odd" and what(problem) == "odd"


def test_a_warning_says_it_is_one() -> None:
    _, _, problems = check_texts(CATALOGUE, OK_A, FILES)
    [unsold] = [p for p in problems if p.severity is Severity.WARNING]
    assert problem_text(unsold) == "提醒：产品 RC-0050（目录第 2 行）：没有任何网店 SKU 在卖这个产品"


_VALUES = st.one_of(
    st.integers(-(10**6), 10**6).map(str),
    st.sampled_from(['"CH-FYZQ"', '"RC-0050"', '"topup"', '"card"', '""', '" x "', "true", "1.5", "[1]"]),
    st.text(alphabet="频道abc-_ 0", max_size=8).map(lambda t: f'"{t}"'),
)
_KEYS = st.sampled_from(["outer_sku_id", "product", "units", "delivery", "price_fen", "title", "prodcut"])


@given(st.lists(st.dictionaries(_KEYS, _VALUES, max_size=7), min_size=1, max_size=4))
@settings(max_examples=150, deadline=None)
def test_every_problem_of_any_sku_table_is_worded_without_the_file(
    tables: list[dict[str, str]],
) -> None:
    """Whatever an admin types, each problem reads "SKU …（第 N 行）：…" and never shows the file."""
    text = "\n".join("[[sku]]\n" + "\n".join(f"{k} = {v}" for k, v in t.items()) for t in tables)
    for problem in _problems(text):
        for lang in ("zh", "en"):
            worded = problem_text(problem, lang)
            assert "/tmp/tmpab12" not in worded and "skus.toml" not in worded
            assert worded.startswith(("SKU", "产品", "The SKU table", "Product"))
