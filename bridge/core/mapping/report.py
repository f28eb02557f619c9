"""The ``bridge mappings check`` report, and the catalogue held against the billing core's.

An admin checks an edit before it goes live, offline or against the billing
core's live product list; a drift between the two catalogues (a price
changed in the billing core, a product retired) must show as a problem
naming the file, line and field, before a shopper pays the old price. Pure:
the billing core's products come in as values.
"""

from __future__ import annotations

from dataclasses import dataclass

from bridge.core.mapping.files import Catalogue, MappingProblem, Severity
from bridge.core.models import Product


@dataclass(frozen=True)
class CheckReport:
    """Every problem found in the mapping files (and against the billing core)."""

    problems: tuple[MappingProblem, ...]
    products: int = 0
    skus: int = 0
    version: str | None = None
    billing_checked: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def errors(self) -> list[MappingProblem]:
        return [problem for problem in self.problems if problem.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[MappingProblem]:
        return [problem for problem in self.problems if problem.severity is Severity.WARNING]

    def format(self) -> str:
        """One ``file:line: field: message`` line per problem, then a summary line."""
        verdict = "OK" if self.ok else "REFUSED"
        against = "checked against" if self.billing_checked else "not checked against"
        summary = (
            f"mappings {verdict}: {len(self.errors)} errors, {len(self.warnings)} warnings; "
            f"{self.products} products, {self.skus} SKUs; {against} the billing core"
            + (f"; version {self.version}" if self.version else "")
        )
        return "\n".join([*(str(problem) for problem in self.problems), summary])


def compare_with_billing(catalogue: Catalogue, remote: list[Product], file: str) -> list[MappingProblem]:
    """The catalogue's products checked against the billing core's own list."""
    problems: list[MappingProblem] = []
    by_code = {product.product_code: product for product in remote}
    for code, ours in catalogue.products.items():
        source = catalogue.sources[code]
        theirs = by_code.get(code)
        if theirs is None:
            problems.append(source.problem("code", f"{code} is unknown to the billing core"))
            continue
        if theirs.price_fen != ours.price_fen:
            message = f"{ours.price_fen} fen here, {theirs.price_fen} fen in the billing core"
            problems.append(source.problem("price_fen", message))
        if theirs.kind is not ours.kind:
            message = f'"{ours.kind.value}" here, "{theirs.kind.value}" in the billing core'
            problems.append(source.problem("kind", message))
        if theirs.requires_two_way != ours.requires_two_way:
            message = f"{ours.requires_two_way} here, {theirs.requires_two_way} in the billing core"
            problems.append(source.problem("requires_two_way", message, Severity.WARNING))
    for code in sorted(by_code.keys() - catalogue.products.keys()):
        message = f"billing core product {code} ({by_code[code].name}) is missing from the catalogue"
        problems.append(MappingProblem(file, 0, "", message, Severity.WARNING))
    return problems
