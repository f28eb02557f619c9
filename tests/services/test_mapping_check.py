"""Mapping files on disk: every kind of mistake reported by file, line and field; checks; reloads."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from bridge.cli.commands import mappings_check
from bridge.core.errors import ConfigError, Unavailable
from bridge.core.mapping import CheckReport, MappingConfigError, MappingProblem, MappingSet, Severity
from bridge.core.models import Product, ProductKind
from bridge.services.mapping_check import check_mappings
from bridge.services.mappings import load_mapping_set, reload_if_changed
from bridge.store import MappingDir

SHIPPED = Path(__file__).resolve().parents[2] / "mappings"

CATALOGUE = """\
[[product]]
code = "RC-0100"
name = "数字电视缴费卡 100元"
kind = "recharge"
price_fen = 10000

[[product]]
code = "CH-FYZQ"
name = "风云足球"
kind = "channel"
price_fen = 200
period = "month"
"""

# line numbers of the second [[sku]] table: header 8, outer_sku_id 9, product 10,
# units 11, delivery 12, price_fen 13
SKUS = """\
[[sku]]
outer_sku_id = "TV-RC-0100"
product = "RC-0100"
units = 1
delivery = "topup"
price_fen = 10000

[[sku]]
outer_sku_id = "TV-CH-FYZQ-3M"
product = "CH-FYZQ"
units = 3
delivery = "topup"
price_fen = 600
"""


def _write(directory: Path, catalogue: str = CATALOGUE, skus: str = SKUS) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "catalogue.toml").write_text(catalogue, encoding="utf-8")
    (directory / "skus.toml").write_text(skus, encoding="utf-8")
    return directory


def _errors(directory: Path) -> list[tuple[str, int, str, str]]:
    """(file name, line, field, message) of every error ``load_mapping_set`` reports."""
    with pytest.raises(MappingConfigError) as caught:
        load_mapping_set(MappingDir(directory))
    return [
        (Path(p.file).name, p.line, p.field, p.message)
        for p in caught.value.problems
        if p.severity is Severity.ERROR
    ]


SKU_MISTAKES = [
    # (id, text to replace in SKUS, replacement, expected errors as (line, field, message))
    (
        "typo in a key",
        'product = "CH-FYZQ"',
        'prodcut = "CH-FYZQ"',
        [
            (8, "sku[2].product", "missing required field"),
            (10, "sku[2].prodcut", 'unknown field (did you mean "product"?)'),
        ],
    ),
    (
        "typo in a product code",
        'product = "CH-FYZQ"',
        'product = "CH-FYZQQ"',
        [(10, "sku[2].product", 'unknown product "CH-FYZQQ" (did you mean "CH-FYZQ"?)')],
    ),
    (
        "duplicate outer_sku_id names both lines",
        '"TV-CH-FYZQ-3M"',
        '"TV-RC-0100"',
        [(9, "sku[2].outer_sku_id", 'duplicate "TV-RC-0100": also defined at line 1 (sku[1])')],
    ),
    (
        "syntax error",
        "units = 3",
        "units = ",
        [(11, "", "TOML syntax error: Invalid value (at line 11, column 9)")],
    ),
    (
        "key written twice",
        "units = 3",
        "units = 3\nunits = 4",
        [(12, "", "TOML syntax error: Cannot overwrite a value (at line 12, column 10)")],
    ),
    ("missing field", "price_fen = 600\n", "", [(8, "sku[2].price_fen", "missing required field")]),
    (
        "units as text",
        "units = 3",
        'units = "3"',
        [(11, "sku[2].units", "expected an integer, got a string '3'")],
    ),
    (
        "units as boolean",
        "units = 3",
        "units = true",
        [(11, "sku[2].units", "expected an integer, got a boolean True")],
    ),
    (
        "price with decimals",
        "price_fen = 600",
        "price_fen = 600.0",
        [(13, "sku[2].price_fen", "expected an integer, got a number with decimals 600.0")],
    ),
    ("units zero", "units = 3", "units = 0", [(11, "sku[2].units", "must be a positive integer, got 0")]),
    (
        "negative price",
        "price_fen = 600",
        "price_fen = -600",
        [(13, "sku[2].price_fen", "must be a positive integer, got -600")],
    ),
    (
        "unknown delivery mode",
        'delivery = "topup"\nprice_fen = 600',
        'delivery = "cards"\nprice_fen = 600',
        [(12, "sku[2].delivery", 'must be "topup" or "card", got \'cards\' (did you mean "card"?)')],
    ),
    (
        "more than 36 months",
        'units = 3\ndelivery = "topup"\nprice_fen = 600',
        'units = 48\ndelivery = "topup"\nprice_fen = 9600',
        [(11, "sku[2].units", "48 months is more than 36")],
    ),
    (
        "price not product price × units",
        "price_fen = 600",
        "price_fen = 500",
        [
            (
                13,
                "sku[2].price_fen",
                "500 fen (5.00 yuan) does not match CH-FYZQ 200 × 3 units = 600 fen (6.00 yuan)",
            )
        ],
    ),
    (
        "card delivery on a channel",
        'delivery = "topup"\nprice_fen = 600',
        'delivery = "card"\nprice_fen = 600',
        [(12, "sku[2].delivery", 'channel CH-FYZQ must be "topup"')],
    ),
    ("empty outer_sku_id", '"TV-CH-FYZQ-3M"', '""', [(9, "sku[2].outer_sku_id", "must not be empty")]),
    (
        "spaces around outer_sku_id",
        '"TV-CH-FYZQ-3M"',
        '" TV-CH-FYZQ-3M"',
        [(9, "sku[2].outer_sku_id", "has spaces at the start or end: ' TV-CH-FYZQ-3M'")],
    ),
    (
        "title not text",
        "price_fen = 600",
        "price_fen = 600\ntitle = 5",
        [(14, "sku[2].title", "expected a string, got an integer 5")],
    ),
    (
        "misspelt table name",
        '[[sku]]\nouter_sku_id = "TV-CH',
        '[[skus]]\nouter_sku_id = "TV-CH',
        [(8, "skus", 'unknown top-level key (did you mean "sku"?)')],
    ),
]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [case[1:] for case in SKU_MISTAKES],
    ids=[case[0] for case in SKU_MISTAKES],
)
def test_sku_mistake_is_reported_exactly(
    tmp_path: Path, old: str, new: str, expected: list[tuple[int, str, str]]
) -> None:
    """Each mistake in skus.toml is refused with exactly its file, line, field and message."""
    assert old in SKUS
    directory = _write(tmp_path, skus=SKUS.replace(old, new, 1))
    assert _errors(directory) == [("skus.toml", line, field, message) for line, field, message in expected]


CATALOGUE_MISTAKES = [
    (
        "duplicate product code",
        'code = "CH-FYZQ"',
        'code = "RC-0100"',
        [(8, "product[2].code", 'duplicate "RC-0100": also defined at line 1 (product[1])')],
    ),
    (
        "misspelt kind",
        'kind = "channel"',
        'kind = "chanel"',
        [
            (
                10,
                "product[2].kind",
                'must be "recharge" or "channel", got \'chanel\' (did you mean "channel"?)',
            )
        ],
    ),
    (
        "price zero",
        "price_fen = 200",
        "price_fen = 0",
        [(11, "product[2].price_fen", "must be a positive integer, got 0")],
    ),
    (
        "unknown period",
        'period = "month"',
        'period = "year"',
        [(12, "product[2].period", "must be \"month\", got 'year'")],
    ),
    (
        "key typo",
        "price_fen = 200",
        "price = 200",
        [
            (7, "product[2].price_fen", "missing required field"),
            (11, "product[2].price", 'unknown field (did you mean "price_fen"?)'),
        ],
    ),
]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [case[1:] for case in CATALOGUE_MISTAKES],
    ids=[case[0] for case in CATALOGUE_MISTAKES],
)
def test_catalogue_mistake_is_reported_exactly(
    tmp_path: Path, old: str, new: str, expected: list[tuple[int, str, str]]
) -> None:
    """Each mistake in catalogue.toml is refused with its file, line, field and message."""
    assert old in CATALOGUE
    directory = _write(tmp_path, catalogue=CATALOGUE.replace(old, new, 1))
    errors = [error for error in _errors(directory) if error[0] == "catalogue.toml"]
    assert errors == [("catalogue.toml", line, field, message) for line, field, message in expected]


def test_every_problem_is_collected(tmp_path: Path) -> None:
    """Three mistakes in three places are all reported in one run, in file order."""
    broken = SKUS.replace("units = 1", "units = 0").replace('product = "CH-FYZQ"', 'product = "CH-XXXX"')
    broken = broken.replace("price_fen = 10000", 'price_fen = 10000\ncolour = "red"')
    errors = _errors(_write(tmp_path, skus=broken))
    assert [(line, field) for _, line, field, _ in errors] == [
        (4, "sku[1].units"),
        (7, "sku[1].colour"),
        (11, "sku[2].product"),
    ]


def test_config_error_lists_every_problem_as_file_line_field(tmp_path: Path) -> None:
    """The ConfigError the daemon refuses to start with reads file:line: field: message."""
    directory = _write(tmp_path, skus=SKUS.replace("prod", "prodd").replace("units = 3", "units = -3"))
    with pytest.raises(ConfigError) as caught:
        load_mapping_set(MappingDir(directory))
    text = str(caught.value)
    assert f'{directory / "skus.toml"}:3: sku[1].prodduct: unknown field (did you mean "product"?)' in text
    assert f"{directory / 'skus.toml'}:11: sku[2].units: must be a positive integer, got -3" in text
    assert caught.value.code == "MAPPING_INVALID"


@pytest.mark.parametrize(
    ("skus", "expected"),
    [
        ("# nothing yet\n", [(0, "sku", "no [[sku]] tables")]),
        (
            "[[sku]]\nunits = 3\nunits = 4",
            [(3, "units", "TOML syntax error: key written twice (first at line 2)")],
        ),
        (
            '[[sku]]\ntitle = """abc\n\n',
            [
                (
                    2,
                    "",
                    "TOML syntax error: Unterminated string (at end of document): a string is never closed",
                )
            ],
        ),
        ('[[sku]]\ntitle = "abc', [(2, "", "TOML syntax error: Unterminated string (at end of document)")]),
    ],
    ids=[
        "no sku tables",
        "repeated key at end of file",
        "unclosed multi-line string",
        "unclosed string at end",
    ],
)
def test_whole_file_mistakes(tmp_path: Path, skus: str, expected: list[tuple[int, str, str]]) -> None:
    """Mistakes tomllib cannot place still get the most useful line."""
    assert _errors(_write(tmp_path, skus=skus)) == [("skus.toml", *error) for error in expected]


def test_lines_inside_a_multiline_string_are_not_keys(tmp_path: Path) -> None:
    """A multi-line title holding "key = value" text does not shift or fake line numbers."""
    title = 'title = """\n风云足球\nunits = 99\n"""\n'
    skus = SKUS.replace('product = "CH-FYZQ"\n', 'product = "CH-FYZQ"\n' + title)
    skus = skus.replace("units = 3", "units = 0")
    assert _errors(_write(tmp_path, skus=skus)) == [
        ("skus.toml", 15, "sku[2].units", "must be a positive integer, got 0")
    ]


def test_missing_file_is_named(tmp_path: Path) -> None:
    """A missing file is refused naming it."""
    directory = _write(tmp_path)
    (directory / "skus.toml").unlink()
    assert _errors(directory) == [("skus.toml", 0, "", "cannot read the file: No such file or directory")]


def test_non_utf8_file_names_the_line(tmp_path: Path) -> None:
    """A file saved in another encoding (GBK) is refused at the first bad line."""
    directory = _write(tmp_path)
    (directory / "skus.toml").write_bytes(SKUS.encode() + '\ntitle = "风云足球"\n'.encode("gbk"))
    assert _errors(directory) == [("skus.toml", 15, "", "not UTF-8 text (save the file as UTF-8)")]


def test_byte_order_mark_is_tolerated(tmp_path: Path) -> None:
    """A UTF-8 BOM (as some Windows editors write) does not break the file."""
    directory = _write(tmp_path)
    (directory / "skus.toml").write_bytes(b"\xef\xbb\xbf" + SKUS.encode())
    assert len(load_mapping_set(MappingDir(directory)).skus.rules) == 2


# -------------------------------------------------------------- shipped files


@pytest.fixture(scope="module")
def shipped() -> MappingSet:
    return load_mapping_set(MappingDir(SHIPPED))


def test_shipped_mappings_load_without_problems(shipped: MappingSet) -> None:
    """The repository's catalogue and SKU mapping load with no error and no warning."""
    assert len(shipped.catalogue.products) == 43
    assert shipped.warnings == ()


def test_shipped_mappings_sell_every_face_value_as_topup(shipped: MappingSet) -> None:
    """Every recharge face value has a TV-RC-xxxx top-up SKU of one card."""
    recharge = {p.product_code for p in shipped.catalogue.products.values() if p.kind is ProductKind.RECHARGE}
    topup = {
        rule.product_code
        for rule in shipped.skus.rules.values()
        if rule.outer_sku_id.startswith("TV-RC-") and rule.delivery.value == "topup" and rule.units == 1
    }
    assert len(recharge) == 8
    assert topup == recharge


def test_shipped_mappings_sell_every_channel_monthly(shipped: MappingSet) -> None:
    """Every channel has a 1-month SKU, and football has 3/6/12-month variants at 2 yuan a month."""
    channels = {p.product_code for p in shipped.catalogue.products.values() if p.kind is ProductKind.CHANNEL}
    monthly = {rule.product_code for rule in shipped.skus.rules.values() if rule.units == 1}
    assert channels <= monthly
    football = {
        rule.units: rule.price_fen for rule in shipped.skus.rules.values() if rule.product_code == "CH-FYZQ"
    }
    assert football == {1: 200, 3: 600, 6: 1200, 12: 2400}


# ------------------------------------------------------ against billing core


class FakeBilling:
    """Just enough of a BillingPort for the catalogue check."""

    def __init__(self, products: list[Product] | None = None, error: Exception | None = None) -> None:
        self._products = products or []
        self._error = error

    async def products(self) -> list[Product]:
        if self._error is not None:
            raise self._error
        return self._products


BILLING = [
    Product("RC-0100", "数字电视缴费卡 100元", ProductKind.RECHARGE, 10000),
    Product("CH-FYZQ", "风云足球", ProductKind.CHANNEL, 200, "month"),
]


async def test_check_against_matching_billing_is_ok(tmp_path: Path) -> None:
    """Files that match the billing core's catalogue pass, marked as checked."""
    report = await check_mappings(MappingDir(_write(tmp_path)), FakeBilling(BILLING))  # type: ignore[arg-type]
    assert report.ok
    assert report.billing_checked
    assert report.problems == ()


@pytest.mark.parametrize(
    ("billing", "expected"),
    [
        (BILLING[:1], [(8, "product[2].code", "CH-FYZQ is unknown to the billing core", Severity.ERROR)]),
        (
            [BILLING[0], Product("CH-FYZQ", "风云足球", ProductKind.CHANNEL, 300, "month")],
            [(11, "product[2].price_fen", "200 fen here, 300 fen in the billing core", Severity.ERROR)],
        ),
        (
            [BILLING[0], Product("CH-FYZQ", "风云足球", ProductKind.RECHARGE, 200)],
            [(10, "product[2].kind", '"channel" here, "recharge" in the billing core', Severity.ERROR)],
        ),
        (
            [*BILLING, Product("CH-GEF", "高尔夫", ProductKind.CHANNEL, 6000, "month")],
            [(0, "", "billing core product CH-GEF (高尔夫) is missing from the catalogue", Severity.WARNING)],
        ),
        (
            [
                BILLING[0],
                Product("CH-FYZQ", "风云足球", ProductKind.CHANNEL, 200, "month", requires_two_way=True),
            ],
            [(7, "product[2].requires_two_way", "False here, True in the billing core", Severity.WARNING)],
        ),
    ],
    ids=[
        "unknown code",
        "price differs",
        "kind differs",
        "catalogue lacks a billing product",
        "two-way differs",
    ],
)
async def test_check_against_billing_reports_differences(
    tmp_path: Path, billing: list[Product], expected: list[tuple[int, str, str, Severity]]
) -> None:
    """Each difference from the billing core's catalogue is reported at the catalogue line."""
    report = await check_mappings(MappingDir(_write(tmp_path)), FakeBilling(billing))  # type: ignore[arg-type]
    assert [(p.line, p.field, p.message, p.severity) for p in report.problems] == expected
    assert report.ok is all(severity is Severity.WARNING for *_, severity in expected)


async def test_unreachable_billing_skips_the_check_with_a_warning(tmp_path: Path) -> None:
    """Billing down: the files are still checked, and the report says why billing was not."""
    billing = FakeBilling(error=Unavailable("connection refused", code="MAINTENANCE"))
    report = await check_mappings(MappingDir(_write(tmp_path)), billing)  # type: ignore[arg-type]
    assert report.ok
    assert not report.billing_checked
    [warning] = report.warnings
    assert "skipped" in warning.message
    assert "MAINTENANCE: connection refused" in warning.message


async def test_check_without_billing_reports_file_problems(tmp_path: Path) -> None:
    """Offline, the report lists the file problems and a summary line, and is not ok."""
    report = await check_mappings(
        MappingDir(_write(tmp_path, skus=SKUS.replace("units = 3", "units = 0"))), None
    )
    lines = report.format().splitlines()
    assert not report.ok
    assert lines[0] == f"{tmp_path / 'skus.toml'}:11: sku[2].units: must be a positive integer, got 0"
    assert lines[-1].startswith("mappings REFUSED: 1 errors, ")
    assert report.version is None


async def test_check_reports_unreadable_files(tmp_path: Path) -> None:
    """A missing directory gives a failed report naming both files, not an exception."""
    report = await check_mappings(MappingDir(tmp_path / "absent"), None)
    assert not report.ok
    assert [Path(p.file).name for p in report.errors] == ["catalogue.toml", "skus.toml"]


async def test_check_summary_of_the_shipped_files() -> None:
    """The summary counts products and SKUs and gives the version."""
    report = await check_mappings(MappingDir(SHIPPED), None)
    assert report.ok
    summary = report.format()
    assert summary.startswith("mappings OK: 0 errors, 0 warnings; 43 products, ")
    assert f"version {load_mapping_set(MappingDir(SHIPPED)).version}" in summary


def test_report_ok_depends_on_errors_only() -> None:
    """Warnings alone keep a report ok."""
    warning = MappingProblem("f", 1, "x", "m", Severity.WARNING)
    assert CheckReport((warning,)).ok
    assert not CheckReport((warning, MappingProblem("f", 2, "y", "m"))).ok


@pytest.mark.parametrize(("skus", "code"), [(SKUS, 0), (SKUS.replace("units = 3", "units = x"), 1)])
def test_command_line_exit_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], skus: str, code: int
) -> None:
    """``bridge mappings check --dir DIR`` exits 1 on any error and prints the report."""
    assert asyncio.run(mappings_check(_write(tmp_path, skus=skus), None)) == code
    assert "mappings " in capsys.readouterr().out


# -------------------------------------------------------------------- reload


def _bump_mtime(path: Path) -> None:
    info = path.stat()
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns + 1_000_000_000))


def test_reload_loads_when_nothing_is_in_force(tmp_path: Path) -> None:
    """With no current set, the files are loaded."""
    fresh = reload_if_changed(MappingDir(_write(tmp_path)), None)
    assert fresh is not None
    assert len(fresh.skus.rules) == 2


def test_reload_unchanged_files_gives_none(tmp_path: Path) -> None:
    """Untouched files: nothing to reload."""
    directory = _write(tmp_path)
    assert reload_if_changed(MappingDir(directory), load_mapping_set(MappingDir(directory))) is None


def test_reload_touched_but_equal_files_gives_none(tmp_path: Path) -> None:
    """A new mtime with the same content is not a change."""
    directory = _write(tmp_path)
    current = load_mapping_set(MappingDir(directory))
    _bump_mtime(directory / "skus.toml")
    assert reload_if_changed(MappingDir(directory), current) is None


def test_reload_valid_edit_gives_the_new_set(tmp_path: Path) -> None:
    """An edited, valid file gives a new set with a new version."""
    directory = _write(tmp_path)
    current = load_mapping_set(MappingDir(directory))
    extra = '\n[[sku]]\nouter_sku_id = "TV-RC-0100-X2"\nproduct = "RC-0100"\nunits = 2\ndelivery = "topup"\n'
    (directory / "skus.toml").write_text(SKUS + extra + "price_fen = 20000\n", encoding="utf-8")
    _bump_mtime(directory / "skus.toml")
    fresh = reload_if_changed(MappingDir(directory), current)
    assert fresh is not None
    assert fresh.version != current.version
    assert "TV-RC-0100-X2" in fresh.skus.rules
    assert reload_if_changed(MappingDir(directory), fresh) is None


def test_reload_broken_edit_raises_until_fixed(tmp_path: Path) -> None:
    """A broken edit raises ConfigError on every call (caller keeps the old set) until put right."""
    directory = _write(tmp_path)
    current = load_mapping_set(MappingDir(directory))
    (directory / "skus.toml").write_text(SKUS.replace("product =", "prodcut ="), encoding="utf-8")
    _bump_mtime(directory / "skus.toml")
    for _ in range(2):
        with pytest.raises(ConfigError, match="prodcut: unknown field"):
            reload_if_changed(MappingDir(directory), current)
    (directory / "skus.toml").write_text(SKUS, encoding="utf-8")
    _bump_mtime(directory / "skus.toml")
    assert reload_if_changed(MappingDir(directory), current) is None


def test_reload_deleted_file_raises(tmp_path: Path) -> None:
    """A file removed under the running daemon is refused, naming it."""
    directory = _write(tmp_path)
    current = load_mapping_set(MappingDir(directory))
    (directory / "catalogue.toml").unlink()
    with pytest.raises(ConfigError, match=r"catalogue\.toml: cannot read the file"):
        reload_if_changed(MappingDir(directory), current)
