"""The harness that ships with the product: sandboxes wiring, scenario, verification, demo, torture.

``DEMO_MAPPINGS`` is the sandbox shop's mapping folder, package data: the demo,
the tests, the benchmarks and ``bridge mappings check`` without arguments use it,
and a real shop copies it as the start of its own.
"""

from pathlib import Path

DEMO_MAPPINGS = Path(__file__).resolve().parent / "mappings"

__all__ = ["DEMO_MAPPINGS"]
