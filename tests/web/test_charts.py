"""The dashboard's SVG charts: bars sized to their counts, named for screen readers, text escaped."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from bridge.web.charts import Bar, Series, bar_chart, column_chart

SVG = "{http://www.w3.org/2000/svg}"


def _parse(markup: str) -> ET.Element:
    return ET.fromstring(markup)  # well-formed XML, or this raises


def test_bars_are_as_long_as_their_counts_and_link_where_asked() -> None:
    svg = _parse(
        bar_chart(
            [Bar("未映射", 8, "/queue?reason=UNMAPPED_SKU&x=1"), Bar("缺卡号", 2), Bar("重试用尽", 0)],
            chart_id="c1",
            title="异常原因",
            desc="每个原因的子订单数",
        )
    )
    rects = svg.findall(f".//{SVG}rect")
    assert [r.get("data-value") for r in rects] == ["8", "2", "0"]
    widths = [float(r.get("width", "")) for r in rects]
    assert widths[0] > 0 and widths[1] == pytest.approx(widths[0] / 4) and widths[2] == 0
    [link] = svg.findall(f"{SVG}a")
    assert link.get("href") == "/queue?reason=UNMAPPED_SKU&x=1"
    labels = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "label"]
    assert labels == ["未映射", "缺卡号", "重试用尽"]


def test_a_chart_names_itself_for_screen_readers() -> None:
    svg = _parse(bar_chart([Bar("a", 1)], chart_id="c2", title="标题", desc="说明"))
    assert svg.get("role") == "img"
    assert svg.get("aria-labelledby") == "c2-title c2-desc"
    assert svg.find(f"{SVG}title").text == "标题"  # type: ignore[union-attr]
    assert svg.find(f"{SVG}desc").text == "说明"  # type: ignore[union-attr]


def test_every_text_is_escaped() -> None:
    markup = str(
        bar_chart(
            [Bar('<script>alert(1)</script>"', 1, '/q?a="><x')],
            chart_id='c"3',
            title="<b>",
            desc="&",
        )
    )
    assert "<script>" not in markup and "<b>" not in markup and '"><x' not in markup
    svg = _parse(markup)
    assert svg.get("id") == 'c"3'
    assert svg.find(f"{SVG}title").text == "<b>"  # type: ignore[union-attr]


def test_no_bars_still_draws_a_valid_chart() -> None:
    svg = _parse(bar_chart([], chart_id="c4", title="t", desc="d"))
    assert svg.findall(f".//{SVG}rect") == []


def test_a_negative_count_is_refused() -> None:
    with pytest.raises(ValueError, match="c5: a count cannot be negative"):
        bar_chart([Bar("x", -1)], chart_id="c5", title="t", desc="d")


def test_columns_per_slot_scaled_to_a_round_top() -> None:
    series = [Series("收到", "incoming", [0, 4, 7]), Series("发货", "delivered", [1, 0, 10])]
    svg = _parse(column_chart(["08", "09", "10"], series, chart_id="h", title="t", desc="d", label_every=2))
    rects = svg.findall(f".//{SVG}rect")
    assert [(r.get("class"), r.get("data-value")) for r in rects] == [
        ("col incoming", "0"),
        ("col delivered", "1"),
        ("col incoming", "4"),
        ("col delivered", "0"),
        ("col incoming", "7"),
        ("col delivered", "10"),
    ]
    heights = [float(r.get("height", "")) for r in rects]
    assert len({float(r.get("y", "")) + h for r, h in zip(rects, heights, strict=True)}) == 1  # one baseline
    assert heights[5] == 150 and heights[4] == pytest.approx(105) and heights[0] == 0  # top of scale: 10
    ticks = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "tick"]
    assert ticks == ["0", "5", "10"]
    slots = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "slotlabel"]
    assert slots == ["08", "10"]
    tips = [g.find(f"{SVG}title").text for g in svg.iter(f"{SVG}g")]  # type: ignore[union-attr]
    assert tips[1] == "09 · 收到 4 · 发货 0"


def test_the_scale_rounds_up_to_one_two_or_five() -> None:
    def top(n: int) -> str:
        markup = str(column_chart(["a"], [Series("s", "s", [n])], chart_id="x", title="t", desc="d"))
        return re.findall(r'class="tick"[^>]*>(\d+)<', markup)[-1]

    assert [top(n) for n in (0, 1, 3, 7, 12, 180, 501)] == ["1", "1", "5", "10", "20", "200", "1000"]


def test_a_series_must_cover_every_slot() -> None:
    with pytest.raises(ValueError, match="series 's' has 1 values for 2 slots"):
        column_chart(["a", "b"], [Series("s", "s", [1])], chart_id="x", title="t", desc="d")
