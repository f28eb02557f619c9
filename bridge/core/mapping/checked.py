"""The checked mapping set: catalogue and SKU table, cross-checked, under one version.

A broken mapping must be refused as a whole (the previous one stays in force),
never half-applied, so the two files are parsed (``bridge.core.mapping.files``),
checked against each other here, and only a set without errors is built. Its
version (a content hash) is stored with every planned line, so "which mapping
decided this" always has an answer. Pure: texts in, values out.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field

from bridge.core.errors import ConfigError
from bridge.core.mapping.files import (
    MAX_MONTHS,
    Catalogue,
    Delivery,
    MappingProblem,
    Severity,
    SkuRule,
    Source,
    parse_catalogue,
    parse_skus,
    suggest,
)
from bridge.core.mapping.toml_lines import TableLines
from bridge.core.models import ProductKind
from bridge.core.money import fen_to_yuan

DEFAULT_FILES = ("mappings/catalogue.toml", "mappings/skus.toml")


@dataclass(frozen=True)
class SkuMapping:
    """The shop's SKU rules by ``outer_sku_id`` (the marketplace's 商家编码)."""

    rules: Mapping[str, SkuRule]

    def get(self, outer_sku_id: str | None) -> SkuRule | None:
        return None if outer_sku_id is None else self.rules.get(outer_sku_id)


@dataclass(frozen=True)
class MappingSet:
    """A catalogue and SKU table that passed every check, under one version."""

    catalogue: Catalogue
    skus: SkuMapping
    version: str  # 12 hex chars of sha256 over both files
    warnings: tuple[MappingProblem, ...] = ()
    file_stamp: tuple[object, ...] = field(default=(), compare=False)
    """(mtime, size) of the files it was read from, set by the loader to spot edits cheaply."""


def mapping_version(catalogue_text: str, skus_text: str) -> str:
    """A short content hash of both files: equal texts, equal version."""
    digest = hashlib.sha256()
    for text in (catalogue_text, skus_text):
        digest.update(hashlib.sha256(text.encode("utf-8")).digest())
    return digest.hexdigest()[:12]


def check_against_catalogue(catalogue: Catalogue, rules: list[SkuRule]) -> list[MappingProblem]:
    """Product codes, delivery modes, months and prices of ``rules`` checked against ``catalogue``."""
    problems: list[MappingProblem] = []
    for rule in rules:
        source = rule.source or Source(
            "<memory>", f"sku[{rule.outer_sku_id}]", TableLines(0), 0, rule.outer_sku_id
        )
        product = catalogue.products.get(rule.product_code)
        if product is None:
            hint = suggest(rule.product_code, catalogue.products)
            message = f'unknown product "{rule.product_code}"{hint}'
            near = hint.split('"')[1] if hint else ""
            problems.append(
                source.problem("product", message, code="unknown_product", got=rule.product_code, near=near)
            )
            continue
        if product.kind is ProductKind.CHANNEL and rule.delivery is Delivery.CARD:
            message = f'channel {product.product_code} must be "topup"'
            problems.append(
                source.problem("delivery", message, code="channel_topup", product=product.product_code)
            )
        if product.kind is ProductKind.CHANNEL and rule.units > MAX_MONTHS:
            message = f"{rule.units} months is more than {MAX_MONTHS}"
            problems.append(source.problem("units", message, code="too_many_months", got=rule.units))
        expected = product.price_fen * rule.units
        if rule.price_fen != expected:
            message = (
                f"{rule.price_fen} fen ({fen_to_yuan(rule.price_fen)} yuan) does not match "
                f"{product.product_code} {product.price_fen} × {rule.units} units = {expected} fen "
                f"({fen_to_yuan(expected)} yuan)"
            )
            problems.append(
                source.problem(
                    "price_fen",
                    message,
                    code="price_mismatch",
                    got=rule.price_fen,
                    product=product.product_code,
                    unit=product.price_fen,
                    units=rule.units,
                    expected=expected,
                )
            )
    return problems


def unsold_products(catalogue: Catalogue, rules: list[SkuRule]) -> list[MappingProblem]:
    """A warning for each catalogue product no SKU sells (a listing may be missing)."""
    sold = {rule.product_code for rule in rules}
    return [
        source.problem("code", f"{code} is not sold by any SKU", Severity.WARNING, code="unsold")
        for code, source in catalogue.sources.items()
        if code not in sold
    ]


def check_texts(
    catalogue_text: str, skus_text: str, files: tuple[str, str] = DEFAULT_FILES
) -> tuple[Catalogue, list[SkuRule], list[MappingProblem]]:
    """Parse both files and cross-check them: what could be read, and every problem in file order."""
    catalogue, problems = parse_catalogue(catalogue_text, files[0])
    rules, sku_problems = parse_skus(skus_text, files[1])
    problems += sku_problems
    if catalogue.products:  # an unreadable catalogue would make every SKU "unknown"
        problems += check_against_catalogue(catalogue, rules)
        if not sku_problems:  # a SKU dropped for a mistake would make its product look unsold
            problems += unsold_products(catalogue, rules)
    problems.sort(key=lambda problem: (problem.file != files[0], problem.line))  # file order
    return catalogue, rules, problems


def build_mapping_set(
    catalogue_text: str, skus_text: str, files: tuple[str, str] = DEFAULT_FILES
) -> MappingSet | list[MappingProblem]:
    """The checked mapping set, or every problem (errors and warnings) when any is an error."""
    catalogue, rules, problems = check_texts(catalogue_text, skus_text, files)
    if any(problem.severity is Severity.ERROR for problem in problems):
        return problems
    skus = SkuMapping({rule.outer_sku_id: rule for rule in rules})
    return MappingSet(catalogue, skus, mapping_version(catalogue_text, skus_text), tuple(problems))


class MappingConfigError(ConfigError):
    """``ConfigError`` for the mapping files, keeping the problems for pages and tests."""

    def __init__(self, problems: list[MappingProblem]) -> None:
        errors = sum(problem.severity is Severity.ERROR for problem in problems)
        lines = "\n".join(f"  {problem}" for problem in problems)
        super().__init__(f"mapping files refused ({errors} errors):\n{lines}", code="MAPPING_INVALID")
        self.problems = tuple(problems)


def checked_set(texts: tuple[str, str], files: tuple[str, str]) -> MappingSet:
    """The checked mapping set of both texts; raises ``MappingConfigError`` listing every problem."""
    result = build_mapping_set(*texts, files=files)
    if isinstance(result, MappingSet):
        return result
    raise MappingConfigError(result)
