"""The store's role for a restored backup: its mark, and its open lines put to "look up first"."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class RecoveryStorePort(Protocol):
    """What ``bridge recover`` and the daemon's start read and write (``bridge.services.recovery``)."""

    async def backup_mark(self) -> datetime | None:
        """When the backup this database was restored from was taken; None: not a marked backup."""
        ...

    async def clear_backup_mark(self) -> bool:
        """The recovery is done: the daemons may start (False: there was no mark)."""
        ...

    async def drop_leases(self) -> int:
        """Every daemon is stopped: the leases a restored store holds (lines', trades') belong to
        processes that are gone; cleared so the recovery can claim the work now. How many."""
        ...

    async def look_up_first(self, now: datetime, actor: str) -> int:
        """Every line still moving (READY, SUBMITTED, UNKNOWN) becomes UNKNOWN and due at ``now``,
        with no lease, and each of its parts not known applied UNKNOWN, counted as sent at ``now``
        (``bridge.core.inflight.restored_marker``): the next worker asks the billing core before any
        send. Each line gets a ``restored`` event. How many lines were moved."""
        ...
