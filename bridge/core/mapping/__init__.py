"""SKU mappings, pure: which billing operations a marketplace SKU becomes, and why not.

The rooms, bottom up:

* ``toml_lines`` — where each table and key of a TOML text stands (line numbers for messages);
* ``files`` — parsing the catalogue and SKU files into values, every mistake a ``MappingProblem``;
* ``checked`` — the two files cross-checked into one ``MappingSet`` under a content version;
* ``planning`` — one order line → its operations (``plan_line``) or a ``PlanError`` with a reason;
* ``report`` — the ``bridge mappings check`` report, and the catalogue against the billing core's;
* ``edit`` — the console editor's text edit of one ``[[sku]]`` table, and its preview;
* ``wording`` — a problem in the console's words (SKU, row, field; no file);
* ``picker`` — the products whose price × units equals a listing's price.

Reading and writing the files is the store's (``bridge.store.mapping_files``);
the live set is the services' (``bridge.services.mappings``). This package
is the public face: other packages import these names from here.
"""

from bridge.core.mapping.checked import (
    MappingConfigError,
    MappingSet,
    SkuMapping,
    build_mapping_set,
    check_texts,
    checked_set,
    mapping_version,
)
from bridge.core.mapping.files import (
    MAX_MONTHS,
    Catalogue,
    Delivery,
    MappingProblem,
    Severity,
    SkuRule,
    parse_catalogue,
    parse_skus,
)
from bridge.core.mapping.planning import (
    MAX_CARDS_PER_OPERATION,
    REASON_TEXT_ZH,
    RECHARGE_CAP_FEN,
    LinePlan,
    PlanError,
    PlanReason,
    is_mapped,
    plan_line,
    requires_card_no,
    sku_is_mapped,
)
from bridge.core.mapping.report import CheckReport, compare_with_billing
from bridge.core.request_ids import build as request_id

__all__ = [
    "MAX_CARDS_PER_OPERATION",
    "MAX_MONTHS",
    "REASON_TEXT_ZH",
    "RECHARGE_CAP_FEN",
    "Catalogue",
    "CheckReport",
    "Delivery",
    "LinePlan",
    "MappingConfigError",
    "MappingProblem",
    "MappingSet",
    "PlanError",
    "PlanReason",
    "Severity",
    "SkuMapping",
    "SkuRule",
    "build_mapping_set",
    "check_texts",
    "checked_set",
    "compare_with_billing",
    "is_mapped",
    "mapping_version",
    "parse_catalogue",
    "parse_skus",
    "plan_line",
    "request_id",
    "requires_card_no",
    "sku_is_mapped",
]
