"""The Pinduoduo client and its sandbox are written apart: they share only the published signing."""

from __future__ import annotations

import grimp
import pytest

VENDOR = "adapters.pinduoduo"
SANDBOX = f"{VENDOR}.sandbox"


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("adapters", "bridge", cache_dir=None)


def test_the_sandbox_imports_nothing_of_the_client_but_signing(graph: grimp.ImportGraph) -> None:
    """Its own wire shapes and rules: only ``signing`` is shared."""
    borrowed = {
        (module, imported)
        for module in graph.find_descendants(SANDBOX) | {SANDBOX}
        for imported in graph.find_modules_directly_imported_by(module)
        if imported.startswith(VENDOR + ".")
        and not imported.startswith(SANDBOX)
        and imported != f"{VENDOR}.signing"
    }
    assert borrowed == set()


def test_the_client_never_reaches_the_sandbox(graph: grimp.ImportGraph) -> None:
    """No module of the client side leads to the sandbox."""
    served = graph.find_descendants(SANDBOX) | {SANDBOX}
    client_side = (graph.find_descendants(VENDOR) | {VENDOR}) - served
    assert not any(graph.chain_exists(importer=m, imported=t) for m in client_side for t in served)
