"""The database disk's free space on /metrics: the SQLite file's disk, never a made-up figure."""

from __future__ import annotations

import os
from pathlib import Path

from bridge.metrics import BridgeMetrics
from tests.composition.test_metrics import _scrape, _values
from tests.rig import open_rig

FREE = ("bridge_store_disk_free_bytes", ())


async def test_the_sqlite_file_s_disk_free_space_is_served_and_a_server_s_is_not(
    tmp_path: Path, database: str
) -> None:
    """On SQLite the gauge is the free bytes of the file's filesystem (the alert rule's input); on
    PostgreSQL the server's disk is not the bridge's to see: no sample."""
    bundle = BridgeMetrics()
    async with open_rig(tmp_path, database=database, metrics=bundle.recorder) as rig:
        values = _values(await _scrape(bundle, rig))
    if not database.startswith("sqlite"):
        assert FREE not in values
        return
    disk = os.statvfs(Path(database.split("///", 1)[1]).parent)
    assert abs(values[FREE] - disk.f_bavail * disk.f_frsize) < 64 * 1024 * 1024  # others write meanwhile
