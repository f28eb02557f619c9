"""The harness that ships with the product: sandboxes wiring, scenario, verification, demo, torture.

``DEMO_MAPPINGS`` is the sandbox shop's mapping folder, the top-level
``mappings/`` of the checkout: the demo, the tests, the benchmarks and
``bridge mappings check`` without arguments use it, and a real shop copies it
as the start of its own. The wheel carries it as this package's ``mappings/``
(pyproject's ``package-dir``); an editable install reads it where it is.
"""

from pathlib import Path


def _demo_mappings() -> Path:
    here = Path(__file__).resolve().parent
    packaged = here / "mappings"  # in an installed wheel
    return packaged if (packaged / "skus.toml").is_file() else here.parents[1] / "mappings"


DEMO_MAPPINGS = _demo_mappings()

__all__ = ["DEMO_MAPPINGS"]
