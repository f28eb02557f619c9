"""``bridge mappings check``: both mapping files checked, and against the billing core's catalogue.

An admin must be able to check an edit before it goes live — offline, or
against the billing core's live product list — and see every mistake by
file, line and field. The checks are pure (``bridge.core.mapping``); this
service reads the files and asks the billing core.
"""

from __future__ import annotations

from bridge.core.errors import BridgeError
from bridge.core.mapping import (
    CheckReport,
    MappingConfigError,
    MappingProblem,
    Severity,
    check_texts,
    compare_with_billing,
    mapping_version,
)
from bridge.ports import BillingPort, MappingFilesPort


async def check_mappings(files: MappingFilesPort, billing: BillingPort | None) -> CheckReport:
    """Check both files, and the catalogue against ``billing.products()`` when given."""
    names = files.names()
    try:
        texts = files.read_texts()
    except MappingConfigError as exc:
        return CheckReport(exc.problems)
    catalogue, rules, problems = check_texts(*texts, files=names)
    checked = False
    if billing is not None and catalogue.products:
        try:
            remote = await billing.products()
        except BridgeError as exc:
            message = f"check against the billing core skipped: cannot read its products ({exc})"
            problems.append(MappingProblem(names[0], 0, "", message, Severity.WARNING))
        else:
            problems += compare_with_billing(catalogue, remote, names[0])
            checked = True
    ok = not any(problem.severity is Severity.ERROR for problem in problems)
    version = mapping_version(*texts) if ok else None
    return CheckReport(tuple(problems), len(catalogue.products), len(rules), version, checked)
