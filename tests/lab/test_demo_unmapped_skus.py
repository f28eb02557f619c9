"""The demo's deliberately unmapped SKUs stay unmapped, but each can be mapped to a catalogue product."""

from __future__ import annotations

from bridge.core.mapping.picker import suggest_products
from bridge.lab import DEMO_MAPPINGS
from bridge.lab.scenario import OrderMaker, Subscribers
from bridge.services.mappings import load_mapping_set
from bridge.store.mapping_files import MappingDir

SUBS = Subscribers(["8371000000000001"], ["8371000000000002"], ["8371000000000003"])


def test_every_unmapped_demo_sku_has_a_product_whose_price_times_units_is_its_price() -> None:
    """300 demo orders: their unmapped SKUs are not in the mapping, yet the picker offers a product."""
    mapping = load_mapping_set(MappingDir(DEMO_MAPPINGS))
    maker = OrderMaker(mapping, SUBS, seed=7)
    unmapped = [ln for n in range(300) for ln in maker.make(n).lines if ln.expect_reason == "UNMAPPED_SKU"]
    assert len(unmapped) >= 5
    for ln in unmapped:
        assert mapping.skus.get(ln.outer_sku_id) is None
        picks = suggest_products(mapping.catalogue, ln.price_fen)
        assert picks, f"nothing in the catalogue costs {ln.price_fen} fen × units"
        assert all(p.product.price_fen * p.units == ln.price_fen for p in picks)
