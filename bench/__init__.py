"""Benchmarks that print figures: ``python -m bench`` (run from the checkout).

Each *cell* runs both sandboxes in this process and the daemon(s) as their own
processes, through ``bench.daemon`` (the bridge's ``run`` with SQL counters),
so CPU time, memory and statements are the daemon's alone. Figures, never
timed assertions.
"""
