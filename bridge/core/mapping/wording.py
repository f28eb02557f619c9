"""A mapping problem in the words of the admin who fixes it in the console.

``bridge mappings check`` names file, line and field (``…/skus.toml:57:
sku[12].price_fen: …``) for the person who edits the file. The console's
editor never shows a file: it names the SKU, its row (the N-th mapping of the
table, as ``sku[N]`` counts) and the field by its Chinese name, with money in
yuan: ``SKU TV-NEW-555（第 3 行）：价格必须大于 0 元``. The English wording
is the same sentence for the console's English view.

Pure: a ``MappingProblem`` (its ``code``, ``params``, ``subject`` and ``row``)
in, one line of text out. A problem without a known code falls back to its
English message, still without the file.
"""

from __future__ import annotations

from bridge.core.mapping.files import MappingProblem, Severity
from bridge.core.money import fen_to_yuan

FIELD_NAMES: dict[str, tuple[str, str]] = {
    "outer_sku_id": ("商家编码", "SKU code"),
    "product": ("计费产品", "product"),
    "units": ("每件数量", "units per item"),
    "delivery": ("发货方式", "delivery"),
    "price_fen": ("价格", "price"),
    "title": ("网店标题", "listing title"),
    "code": ("产品编码", "product code"),
    "name": ("名称", "name"),
    "kind": ("类型", "kind"),
    "period": ("计费周期", "period"),
    "requires_two_way": ("需双向机顶盒", "two-way box"),
}
"""Each key of a ``[[sku]]`` or ``[[product]]`` table by the name the console's form gives it."""

_DELIVERY = {"topup": ("直充", "top-up"), "card": ("卡密", "card")}

_TEXTS: dict[str, tuple[str, str]] = {
    "not_positive": ("{field}必须大于 0", "{field} must be more than 0"),
    "price_not_positive": ("{field}必须大于 0 元", "{field} must be more than ¥0"),
    "price_mismatch": (
        "价格 {got} 与产品 {product} 不符：{unit} × {units} = {expected}",
        "price {got} does not match product {product}: {unit} × {units} = {expected}",
    ),
    "unknown_product": (
        "计费产品「{got}」不在产品目录中{near}",
        "product “{got}” is not in the catalogue{near}",
    ),
    "channel_topup": (
        "频道 {product} 只能用「直充」发货",
        "channel {product} can only be delivered as a top-up",
    ),
    "too_many_months": (
        "每件数量 {got} 个月超过了计费系统的上限 36 个月",
        "{got} months is more than the billing core's 36",
    ),
    "missing": ("缺少{field}", "{field} is missing"),
    "empty": ("{field}不能为空", "{field} must not be empty"),
    "spaces": ("{field}开头或结尾有空格", "{field} starts or ends with a space"),
    "not_integer": ("{field}必须是整数（现在是「{got}」）", "{field} must be a whole number (got “{got}”)"),
    "not_text": ("{field}必须是文字", "{field} must be text"),
    "not_bool": ("{field}必须是 true 或 false", "{field} must be true or false"),
    "not_choice": ("{field}不能是「{got}」{near}", "{field} cannot be “{got}”{near}"),
    "delivery_choice": (
        "发货方式只能是「直充」或「卡密」（现在是「{got}」）",
        "delivery must be top-up or card (got “{got}”)",
    ),
    "unknown_field": ("有不认识的字段「{key}」{near}", "unknown field “{key}”{near}"),
    "duplicate": (
        "{field}「{value}」重复：第 {first_row} 行已经用过",
        "{field} “{value}” is already used in row {first_row}",
    ),
    "not_month": ("计费周期只能是 month", "period must be month"),
    "unsold": ("没有任何网店 SKU 在卖这个产品", "no listing sells this product"),
    "not_table": ("这一行不是一个映射表", "this row is not a table"),
    "no_tables": ("文件里没有任何映射", "the file holds no mappings"),
    "unknown_top_key": ("文件开头有不认识的内容「{key}」", "unknown top-level key “{key}”"),
    "key_twice": ("「{key}」写了两次", "“{key}” is written twice"),
    "syntax": ("文件格式（TOML）有错，无法读取", "the file is not valid TOML"),
    "file_invalid": ("文件格式（TOML）有错，无法读取", "the file is not valid TOML"),
}
_NEAR = ("（是不是「{near}」？）", " (did you mean “{near}”?)")
_WARNING = ("提醒：", "Note: ")


def field_key(problem: MappingProblem) -> str:
    """``price_fen`` for ``sku[3].price_fen``; "" for a table or the file as a whole."""
    return problem.field.partition(".")[2] if "[" in problem.field else ""


def field_name(key: str, lang: str = "zh") -> str:
    """The form's name for a table key (the key itself when it is not one of ours)."""
    names = FIELD_NAMES.get(key)
    return key if names is None else names[_index(lang)]


def where(problem: MappingProblem, lang: str = "zh") -> str:
    """``SKU TV-1（第 3 行）``, ``产品 CH-X（目录第 9 行）`` or the table's name for the file."""
    zh = _index(lang) == 0
    table = problem.field.partition("[")[0]
    if table == "sku" and problem.row:
        name = f"SKU {problem.subject}" if problem.subject else "SKU"
        return f"{name}（第 {problem.row} 行）" if zh else f"{name} (row {problem.row})"
    if table == "product" and problem.row:
        name = f"产品 {problem.subject}" if zh else f"Product {problem.subject}"
        return f"{name}（目录第 {problem.row} 行）" if zh else f"{name} (catalogue row {problem.row})"
    if "catalogue" in problem.file.rsplit("/", 1)[-1]:
        return "产品目录" if zh else "The catalogue"
    return "SKU 映射表" if zh else "The SKU table"


def problem_text(problem: MappingProblem, lang: str = "zh") -> str:
    """The whole sentence: where, then what is wrong, in ``lang`` ("zh" or "en")."""
    i = _index(lang)
    prefix = _WARNING[i] if problem.severity is Severity.WARNING else ""
    separator = "：" if i == 0 else ": "
    return f"{prefix}{where(problem, lang)}{separator}{what(problem, lang)}"


def what(problem: MappingProblem, lang: str = "zh") -> str:
    """What is wrong, without where (the console shows it beside the field it names)."""
    i = _index(lang)
    code = _code(problem)
    texts = _TEXTS.get(code)
    if texts is None:
        return problem.message
    params = dict(problem.params)
    key = field_key(problem)
    near = params.get("near", "")
    values = {
        **params,
        "field": field_name(key, lang),
        "near": _NEAR[i].format(near=near) if near else "",
        "key": params.get("key") or key,
    }
    if code == "price_mismatch":
        values.update({k: _yuan(params.get(k, "")) for k in ("got", "unit", "expected")})
    if code == "delivery_choice":
        values["got"] = _DELIVERY.get(params.get("got", ""), (params.get("got", ""),) * 2)[i]
    return texts[i].format(**values)


def _code(problem: MappingProblem) -> str:
    """The problem's code, made specific where the field changes the sentence."""
    key = field_key(problem)
    if problem.code == "not_positive" and key == "price_fen":
        return "price_not_positive"
    if problem.code == "not_choice" and key == "delivery":
        return "delivery_choice"
    return problem.code


def _yuan(fen: str) -> str:
    return f"¥{fen_to_yuan(int(fen))}" if fen.lstrip("-").isdigit() else fen


def _index(lang: str) -> int:
    return 1 if lang == "en" else 0
