"""A real billing core (interface v1) to run the bridge against without an operator.

An aiohttp server that checks signatures and applies the interface's rules to
seeded subscribers, with knobs for latency, rate limits, maintenance windows,
lost answers and injected errors, and a ledger file that survives restarts::

    sandbox = BillingSandbox(ledger_path=Path("var/billing-ledger.jsonl"))
    running = await start_billing_sandbox(sandbox, port=8090)
    ...  # BillingClient(http, base_url=running.base_url, api_key=sandbox.api_key, secret=sandbox.secret)
    await running.stop()

Standalone: ``python -m adapters.billing_core.sandbox --port 8090``.
"""

from __future__ import annotations

from adapters.billing_core.sandbox.knobs import BillingKnobs
from adapters.billing_core.sandbox.seed import DEFAULT_CATALOGUE, DEFAULT_SEED, Population, load_catalogue
from adapters.billing_core.sandbox.server import BillingSandbox, RunningSandbox, start_billing_sandbox

__all__ = [
    "DEFAULT_CATALOGUE",
    "DEFAULT_SEED",
    "BillingKnobs",
    "BillingSandbox",
    "Population",
    "RunningSandbox",
    "load_catalogue",
    "start_billing_sandbox",
]
