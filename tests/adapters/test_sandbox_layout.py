"""How the adapters' modules import each other: no cycles, and client and sandbox written apart.

A sandbox is a second, independent implementation of its vendor's protocol:
the contract tests mean something only while it shares nothing with the
client but the published signing rules. Within a sandbox, state, knobs and
records sit at the bottom, handlers above them, and the app that assembles
them at the top; an import cycle would mean a handler reaching for the whole.
"""

from __future__ import annotations

import grimp
import pytest

VENDORS = ("adapters.billing_core", "adapters.taobao")


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("adapters", "bridge", cache_dir=None)


def _adapter_modules(graph: grimp.ImportGraph) -> list[str]:
    return sorted(m for m in graph.modules if m == "adapters" or m.startswith("adapters."))


def test_no_adapter_module_imports_itself_round_a_cycle(graph: grimp.ImportGraph) -> None:
    """For every import a → b inside the adapters, b never leads back to a."""
    modules = _adapter_modules(graph)
    cycles = [
        (module, imported)
        for module in modules
        for imported in sorted(graph.find_modules_directly_imported_by(module))
        if imported in modules and graph.chain_exists(importer=imported, imported=module)
    ]
    assert cycles == []


@pytest.mark.parametrize("vendor", VENDORS)
def test_the_sandbox_imports_nothing_of_its_client_but_signing(graph: grimp.ImportGraph, vendor: str) -> None:
    """Its own wire shapes, its own rules: only ``signing`` (published, pinned by vectors) is shared."""
    sandbox = f"{vendor}.sandbox"
    shared = {vendor, f"{vendor}.signing"}
    borrowed = {
        (module, imported)
        for module in graph.find_descendants(sandbox) | {sandbox}
        for imported in graph.find_modules_directly_imported_by(module)
        if imported.startswith(vendor + ".") and not imported.startswith(sandbox) and imported not in shared
    }
    assert borrowed == set()


@pytest.mark.parametrize("vendor", VENDORS)
def test_the_client_never_imports_its_sandbox(graph: grimp.ImportGraph, vendor: str) -> None:
    sandbox = f"{vendor}.sandbox"
    served = graph.find_descendants(sandbox) | {sandbox}
    client_side = graph.find_descendants(vendor) | {vendor}
    reaching = {
        (module, target)
        for module in client_side - served
        for target in served
        if graph.chain_exists(importer=module, imported=target)
    }
    assert reaching == set()
