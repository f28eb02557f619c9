"""Run the billing-core sandbox on its own: ``python -m adapters.billing_core.sandbox``.

For trying the bridge (or any other integrator) against a billing core with no
operator account; stops on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
from pathlib import Path

from adapters.billing_core.sandbox.knobs import BillingKnobs
from adapters.billing_core.sandbox.seed import DEFAULT_SEED
from adapters.billing_core.sandbox.server import BillingSandbox, start_billing_sandbox


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Billing core (BOSS) sandbox, interface v1")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--ledger", type=Path, default=None, help="JSON-lines file kept across restarts")
    parser.add_argument("--api-key", default="sandbox-key")
    parser.add_argument("--secret", default="sandbox-secret")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="median latency")
    parser.add_argument("--latency-tail-ms", type=float, default=0.0, help="~99th percentile latency")
    parser.add_argument("--max-in-flight", type=int, default=0, help="per key; 0 = no cap")
    parser.add_argument("--maintenance-nightly", default=None, help='e.g. "23:50-00:10" (CST)')
    return parser.parse_args(argv)


async def _serve(args: argparse.Namespace) -> None:
    knobs = BillingKnobs(
        latency_ms=args.latency_ms,
        latency_tail_ms=args.latency_tail_ms,
        max_in_flight=args.max_in_flight,
        maintenance_nightly=args.maintenance_nightly,
    )
    sandbox = BillingSandbox(
        seed=args.seed, api_key=args.api_key, secret=args.secret, knobs=knobs, ledger_path=args.ledger
    )
    running = await start_billing_sandbox(sandbox, args.host, args.port)
    print(f"billing-core sandbox on {running.base_url} (api key {sandbox.api_key!r}); Ctrl-C stops")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # no signal handlers on Windows
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await running.stop()


def main(argv: list[str] | None = None) -> None:
    asyncio.run(_serve(_arguments(argv)))


if __name__ == "__main__":
    main()
