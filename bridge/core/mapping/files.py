"""Read the two mapping files into checked values, collecting every problem on the way.

Admins edit ``mappings/skus.toml`` by hand and must not be able to break
fulfilment with a typo. So parsing never stops at the first mistake: each
function returns what it could read *and* every problem it found, each naming
file, line and field (``mappings/skus.toml:57: sku[12].prodcut: unknown field
(did you mean "product"?)``), so one run of the check lists them all.

This module checks each file on its own (syntax, unknown and missing keys,
types, values, duplicates); ``bridge.core.mapping.checked`` checks the SKUs against the
catalogue. Pure: texts come in as strings; reading files is
``bridge.store.mapping_files``'s job.
"""

from __future__ import annotations

import dataclasses
import difflib
import enum
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bridge.core.mapping.toml_lines import Layout, TableLines, scan
from bridge.core.models import Product, ProductKind

MAX_MONTHS = 36
"""The billing core sells a channel for 1..36 months in one operation."""


class Severity(enum.StrEnum):
    ERROR = "error"  # the mapping set is refused; the previous one stays in force
    WARNING = "warning"  # worth a look, does not block


class Delivery(enum.StrEnum):
    """How a SKU reaches the buyer."""

    TOPUP = "topup"  # credited to the subscriber's account (recharge) or entitlement (channel)
    CARD = "card"  # the billing core issues card serials + PINs the buyer redeems later


@dataclass(frozen=True)
class MappingProblem:
    """One mistake in a mapping file, located for the admin who fixes it."""

    file: str
    line: int  # 1-based; 0 when it concerns the file as a whole
    field: str  # e.g. "sku[12].product"; "" for the file as a whole
    message: str
    severity: Severity = Severity.ERROR
    code: str = dataclasses.field(default="", compare=False)
    """What kind of mistake (``price_mismatch``, ``not_positive`` …), for the console's wording."""
    params: tuple[tuple[str, str], ...] = dataclasses.field(default=(), compare=False)
    """The figures the wording needs (``("got", "0")`` …)."""
    subject: str = dataclasses.field(default="", compare=False)
    """The table's own name when it has one: its ``outer_sku_id`` or product ``code``."""
    row: int = dataclasses.field(default=0, compare=False)
    """Which ``[[sku]]`` / ``[[product]]`` table, counting from 1; 0 for the file as a whole."""

    def param(self, key: str) -> str:
        return dict(self.params).get(key, "")

    def __str__(self) -> str:
        parts = [f"{self.file}:{self.line}" if self.line else self.file]
        if self.field:
            parts.append(self.field)
        if self.severity is Severity.WARNING:
            parts.append("warning")
        parts.append(self.message)
        return ": ".join(parts)


@dataclass(frozen=True)
class Source:
    """Where one ``[[product]]`` or ``[[sku]]`` table is, to report problems against it."""

    file: str
    label: str  # "sku[3]": the 3rd [[sku]] table of the file, counting from 1
    lines: TableLines
    row: int = 0  # 3 for "sku[3]"
    subject: str = ""  # the table's outer_sku_id or product code, when it has a readable one

    def problem(
        self,
        key: str,
        message: str,
        severity: Severity = Severity.ERROR,
        code: str = "",
        **params: object,
    ) -> MappingProblem:
        """A problem with ``key`` of this table (``key=""``: the table as a whole); ``code`` and
        ``params`` say the same as ``message`` for the console's wording."""
        line = self.lines.line_of(key) if key else self.lines.header
        label = f"{self.label}.{key}" if key else self.label
        figures = tuple((k, str(v)) for k, v in params.items())
        return MappingProblem(
            self.file, line, label, message, severity, code, figures, self.subject, self.row
        )


@dataclass(frozen=True)
class SkuRule:
    """One ``[[sku]]`` table: how a marketplace SKU maps to a billing-core product."""

    outer_sku_id: str
    product_code: str
    units: int  # per quantity bought: face-value cards (recharge) or months (channel)
    delivery: Delivery
    price_fen: int  # the listed unit price; must equal product price × units
    title: str | None = None
    source: Source | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Catalogue:
    """The billing core's products by code, with where each was defined."""

    products: Mapping[str, Product]
    sources: Mapping[str, Source] = field(default_factory=dict, compare=False, repr=False)


_STR, _INT, _BOOL = "a string", "an integer", "true or false"
_SKU_FIELDS = dict(outer_sku_id=_STR, product=_STR, units=_INT, delivery=_STR, price_fen=_INT, title=_STR)
_SKU_OPTIONAL = frozenset({"title"})
_PRODUCT_FIELDS = dict(code=_STR, name=_STR, kind=_STR, price_fen=_INT, period=_STR, requires_two_way=_BOOL)
_PRODUCT_OPTIONAL = frozenset({"period", "requires_two_way"})
_TOML_LINE = re.compile(r"at line (\d+)")
_SUBJECT_KEY = {"sku": "outer_sku_id", "product": "code"}
_TYPE_CODES = {_STR: "not_text", _INT: "not_integer", _BOOL: "not_bool"}


def suggest(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean "x"?)`` for the closest choice, or "" when none is close."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f' (did you mean "{close[0]}"?)' if close else ""


def parse_catalogue(text: str, file: str) -> tuple[Catalogue, list[MappingProblem]]:
    """The valid ``[[product]]`` tables of ``text`` and every problem found in it."""
    problems: list[MappingProblem] = []
    products: dict[str, Product] = {}
    sources: dict[str, Source] = {}
    for source, table in _array_tables(text, file, "product", problems):
        values = _fields(table, source, _PRODUCT_FIELDS, _PRODUCT_OPTIONAL, problems)
        product = _product(values, source, problems)
        if product is None:
            continue
        first = sources.get(product.product_code)
        if first is not None:
            problems.append(_duplicate(source, "code", product.product_code, first))
            continue
        products[product.product_code] = product
        sources[product.product_code] = source
    return Catalogue(products, sources), problems


def parse_skus(text: str, file: str) -> tuple[list[SkuRule], list[MappingProblem]]:
    """The valid ``[[sku]]`` tables of ``text`` and every problem found in it.

    Only the file itself is checked here; ``bridge.core.mapping.checked.check_against_catalogue``
    checks product codes, prices and delivery modes against the catalogue.
    """
    problems: list[MappingProblem] = []
    rules: list[SkuRule] = []
    seen: dict[str, Source] = {}
    for source, table in _array_tables(text, file, "sku", problems):
        values = _fields(table, source, _SKU_FIELDS, _SKU_OPTIONAL, problems)
        outer = values.get("outer_sku_id")
        if isinstance(outer, str) and outer in seen:
            problems.append(_duplicate(source, "outer_sku_id", outer, seen[outer]))
            continue
        rule = _sku_rule(values, source, problems)
        if rule is not None:
            seen[rule.outer_sku_id] = source
            rules.append(rule)
    return rules, problems


def _array_tables(
    text: str, file: str, name: str, problems: list[MappingProblem]
) -> list[tuple[Source, dict[str, Any]]]:
    """Each ``[[name]]`` table with its source; syntax and top-level problems go to ``problems``."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        problems.append(_syntax_problem(exc, text, file))
        return []
    layout = scan(text)
    for key in [key for key in data if key != name]:
        where = layout.top.get(key, 1)
        message = f"unknown top-level key{suggest(key, [name])}"
        problems.append(
            MappingProblem(file, where, key, message, code="unknown_top_key", params=(("key", key),))
        )
    entries = data.get(name, [])
    if not isinstance(entries, list) or not entries:
        problems.append(
            MappingProblem(file, layout.top.get(name, 0), name, f"no [[{name}]] tables", code="no_tables")
        )
        return []
    return _sources(entries, file, name, layout, problems)


def _sources(
    entries: list[Any], file: str, name: str, layout: Layout, problems: list[MappingProblem]
) -> list[tuple[Source, dict[str, Any]]]:
    tables = []
    for index, entry in enumerate(entries):
        subject = entry.get(_SUBJECT_KEY[name], "") if isinstance(entry, dict) else ""
        subject = subject.strip() if isinstance(subject, str) else ""
        source = Source(file, f"{name}[{index + 1}]", layout.table(name, index), index + 1, subject)
        if isinstance(entry, dict):
            tables.append((source, entry))
        else:
            message = f"expected a [[{name}]] table, got {_describe(entry)}"
            problems.append(source.problem("", message, code="not_table"))
    return tables


def _syntax_problem(exc: tomllib.TOMLDecodeError, text: str, file: str) -> MappingProblem:
    """tomllib's message with its line; "at end of document" is placed by scanning the text."""
    message = f"TOML syntax error: {exc}"
    found = _TOML_LINE.search(message)
    if found is not None:
        return MappingProblem(file, int(found.group(1)), "", message, code="syntax")
    layout = scan(text)
    if layout.repeated_keys:
        key, first, again = layout.repeated_keys[0]
        message = f"TOML syntax error: key written twice (first at line {first})"
        return MappingProblem(file, again, key, message, code="key_twice", params=(("key", key),))
    if layout.unclosed_string:
        where = layout.unclosed_string[0]
        return MappingProblem(file, where, "", f"{message}: a string is never closed", code="syntax")
    return MappingProblem(file, len(text.rstrip("\n").split("\n")), "", message, code="syntax")


def _fields(
    table: dict[str, Any],
    source: Source,
    spec: dict[str, str],
    optional: frozenset[str],
    problems: list[MappingProblem],
) -> dict[str, Any]:
    """The keys of ``table`` that are known and of the right type; the rest become problems."""
    values: dict[str, Any] = {}
    for key, value in table.items():
        expected = spec.get(key)
        if expected is None:
            hint = suggest(key, spec)
            problems.append(
                source.problem(key, f"unknown field{hint}", code="unknown_field", near=_near(hint))
            )
        elif _has_type(value, expected):
            values[key] = value
        else:
            message = f"expected {expected}, got {_describe(value)}"
            problems.append(source.problem(key, message, code=_TYPE_CODES[expected], got=_shown(value)))
    for key in [key for key in spec if key not in table and key not in optional]:
        problems.append(source.problem(key, "missing required field", code="missing"))
    return values


def _has_type(value: object, expected: str) -> bool:
    if expected == _INT:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, bool if expected == _BOOL else str)


def _describe(value: object) -> str:
    kinds = {bool: "a boolean", int: "an integer", float: "a number with decimals", str: "a string"}
    kind = kinds.get(type(value), "a table or list")
    return f"{kind} {value!r}" if isinstance(value, int | float | str) else kind


def _duplicate(source: Source, key: str, value: str, first: Source) -> MappingProblem:
    message = f'duplicate "{value}": also defined at line {first.lines.header} ({first.label})'
    return source.problem(key, message, code="duplicate", value=value, first_row=first.row)


def _near(hint: str) -> str:
    """The word of a `` (did you mean "x"?)`` hint, or ""."""
    return hint.split('"')[1] if hint else ""


def _shown(value: object) -> str:
    return str(value) if isinstance(value, int | float | str) else ""


def _product(values: dict[str, Any], source: Source, problems: list[MappingProblem]) -> Product | None:
    """A Product from checked values, or None after reporting what is wrong."""
    before = len(problems)
    code, name = _text(values, "code", source, problems), _text(values, "name", source, problems)
    kind = _choice(values, "kind", [k.value for k in ProductKind], source, problems)
    price = _positive(values, "price_fen", source, problems)
    period = values.get("period")
    if period is not None and period != "month":
        problems.append(source.problem("period", f'must be "month", got {period!r}', code="not_month"))
    if code is None or name is None or kind is None or price is None or len(problems) > before:
        return None
    two_way = bool(values.get("requires_two_way", False))
    return Product(code, name, ProductKind(kind), price, period, two_way)


def _sku_rule(values: dict[str, Any], source: Source, problems: list[MappingProblem]) -> SkuRule | None:
    """A SkuRule from checked values, or None after reporting what is wrong."""
    outer = _text(values, "outer_sku_id", source, problems)
    product = _text(values, "product", source, problems)
    units = _positive(values, "units", source, problems)
    delivery = _choice(values, "delivery", [d.value for d in Delivery], source, problems)
    price = _positive(values, "price_fen", source, problems)
    if outer is None or product is None or units is None or delivery is None or price is None:
        return None
    return SkuRule(outer, product, units, Delivery(delivery), price, values.get("title"), source)


def _text(values: dict[str, Any], key: str, source: Source, problems: list[MappingProblem]) -> str | None:
    value = values.get(key)
    if value is None:
        return None
    if not value.strip():
        problems.append(source.problem(key, "must not be empty", code="empty"))
        return None
    if value != value.strip():
        problems.append(source.problem(key, f"has spaces at the start or end: {value!r}", code="spaces"))
        return None
    return str(value)


def _positive(values: dict[str, Any], key: str, source: Source, problems: list[MappingProblem]) -> int | None:
    value = values.get(key)
    if value is not None and value <= 0:
        message = f"must be a positive integer, got {value}"
        problems.append(source.problem(key, message, code="not_positive", got=value))
        return None
    return None if value is None else int(value)


def _choice(
    values: dict[str, Any], key: str, allowed: list[str], source: Source, problems: list[MappingProblem]
) -> str | None:
    value = values.get(key)
    if value is not None and value not in allowed:
        expected = " or ".join(f'"{choice}"' for choice in allowed)
        hint = suggest(value, allowed)
        message = f"must be {expected}, got {value!r}{hint}"
        problems.append(source.problem(key, message, code="not_choice", got=value, near=_near(hint)))
        return None
    return None if value is None else str(value)
