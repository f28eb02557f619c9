"""Load, check and watch the mapping files on disk: the I/O edge of ``bridge.core.mapping.planning``.

The daemon must refuse a broken mapping (naming every mistake by file, line
and field), must let an admin check an edit before it goes live — offline, or
against the billing core's live catalogue — and must pick up a fixed file
without a restart (``reload_if_changed``) while keeping the last good set in
force when an edit is broken. Parsing and checking stay pure in ``bridge.core.mapping``; this module only
reads files, asks the billing core, and formats the outcome.

Run ``python -m bridge.services.mapping_check [directory]`` for an offline check.
"""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass, replace
from pathlib import Path

from bridge.core.errors import BridgeError, ConfigError
from bridge.core.mapping.files import Catalogue
from bridge.core.mapping.planning import (
    MappingProblem,
    MappingSet,
    Severity,
    build_mapping_set,
    check_texts,
    mapping_version,
)
from bridge.core.models import Product
from bridge.ports import BillingPort

CATALOGUE_FILE = "catalogue.toml"
SKUS_FILE = "skus.toml"


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


def load_mapping_set(directory: Path) -> MappingSet:
    """The checked mapping set in ``directory``; raises ``ConfigError`` listing every problem."""
    stamp = _stamp(directory)
    return replace(_build(directory, _read_texts(directory)), file_stamp=stamp)


async def check_mappings(directory: Path, billing: BillingPort | None) -> CheckReport:
    """Check both files, and the catalogue against ``billing.products()`` when given."""
    files = _names(directory)
    try:
        texts = _read_texts(directory)
    except MappingConfigError as exc:
        return CheckReport(exc.problems)
    catalogue, rules, problems = check_texts(*texts, files=files)
    checked = False
    if billing is not None and catalogue.products:
        try:
            remote = await billing.products()
        except BridgeError as exc:
            message = f"check against the billing core skipped: cannot read its products ({exc})"
            problems.append(MappingProblem(files[0], 0, "", message, Severity.WARNING))
        else:
            problems += compare_with_billing(catalogue, remote, files[0])
            checked = True
    ok = not any(problem.severity is Severity.ERROR for problem in problems)
    version = mapping_version(*texts) if ok else None
    return CheckReport(tuple(problems), len(catalogue.products), len(rules), version, checked)


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


class MappingConfigError(ConfigError):
    """``ConfigError`` for the mapping files, keeping the problems for pages and tests."""

    def __init__(self, problems: list[MappingProblem]) -> None:
        errors = sum(problem.severity is Severity.ERROR for problem in problems)
        lines = "\n".join(f"  {problem}" for problem in problems)
        super().__init__(f"mapping files refused ({errors} errors):\n{lines}", code="MAPPING_INVALID")
        self.problems = tuple(problems)


def reload_if_changed(directory: Path, current: MappingSet | None) -> MappingSet | None:
    """A new mapping set when the files in ``directory`` changed and are valid, else None.

    Raises ``ConfigError`` when they changed but are broken: the caller keeps
    ``current`` in force and logs the error loudly (again on every call until
    the files are fixed or put back). A cheap ``stat`` (mtime, size) decides
    whether to read the files at all; the content hash decides whether they
    really changed, so a ``touch`` is not a change. ``current=None`` always loads.
    """
    stamp = _stamp(directory)
    if current is not None and stamp == current.file_stamp:
        return None
    texts = _read_texts(directory)
    if current is not None and mapping_version(*texts) == current.version:
        return None
    return replace(_build(directory, texts), file_stamp=stamp)


def _stamp(directory: Path) -> tuple[tuple[int, int] | None, ...]:
    """(mtime in ns, size) of each file, None for a file that cannot be stat'ed."""
    stamps: list[tuple[int, int] | None] = []
    for name in _names(directory):
        try:
            info = Path(name).stat()
        except OSError:
            stamps.append(None)
        else:
            stamps.append((info.st_mtime_ns, info.st_size))
    return tuple(stamps)


def _names(directory: Path) -> tuple[str, str]:
    return str(directory / CATALOGUE_FILE), str(directory / SKUS_FILE)


def _read_texts(directory: Path) -> tuple[str, str]:
    """Both files as text; raises ``MappingConfigError`` naming each unreadable one."""
    texts: list[str] = []
    problems: list[MappingProblem] = []
    for name in _names(directory):
        try:
            data = Path(name).read_bytes()
        except OSError as exc:
            problems.append(MappingProblem(name, 0, "", f"cannot read the file: {exc.strerror or exc}"))
            continue
        try:
            texts.append(data.decode("utf-8-sig"))  # tolerate the BOM some Windows editors add
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            problems.append(MappingProblem(name, line, "", "not UTF-8 text (save the file as UTF-8)"))
    if problems:
        raise MappingConfigError(problems)
    return texts[0], texts[1]


def _build(directory: Path, texts: tuple[str, str]) -> MappingSet:
    result = build_mapping_set(*texts, files=_names(directory))
    if isinstance(result, MappingSet):
        return result
    raise MappingConfigError(result)


def main(argv: list[str] | None = None) -> int:
    """``python -m bridge.services.mapping_check [directory]``: offline check, exit 1 on any error."""
    args = sys.argv[1:] if argv is None else argv
    report = asyncio.run(check_mappings(Path(args[0] if args else "mappings"), None))
    print(report.format())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
