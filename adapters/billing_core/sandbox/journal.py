"""The sandbox's durable ledger: applied changes as JSON lines, reloaded at start.

A real billing core keeps what it applied across a restart; this file is how
the sandbox does. The first line names the seed and population (the seeded
households are regenerated, not stored); every later line upserts the
operations and accounts one change touched, so replaying the lines in order
rebuilds the state. Each line is appended and flushed before the answer is
sent, so "applied, then the process died" survives. A torn last line (the
process died mid-write) is cut off on load.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from adapters.billing_core.sandbox import wire
from adapters.billing_core.sandbox.records import Account, OpRecord
from bridge.core.errors import ConfigError

_FORMAT = 1


class _StoredOperation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    request: wire.OperationBody
    result: wire.OperationAnswer
    previous_valid_until: date | None = None
    redeemed: list[str] = []
    repeat: bool = False
    reversals: int = 0


class _Line(BaseModel):
    model_config = ConfigDict(extra="forbid")

    operations: list[_StoredOperation] = []
    subscribers: list[wire.SubscriberAnswer] = []


class LedgerFile:
    """Append-only JSON-lines file of applied changes for one seeded sandbox."""

    def __init__(self, path: Path, header: dict[str, Any]) -> None:
        self.path = path
        self._header = {"sandbox_ledger": _FORMAT, **header}

    def load(self) -> tuple[list[OpRecord], list[Account]]:
        """Everything recorded so far (creating the file with its header when new)."""
        if not self.path.exists() or self.path.stat().st_size == 0:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(json.dumps(self._header) + "\n", encoding="utf-8")
            return [], []
        text = self._intact_text()
        lines = text.splitlines()
        if json.loads(lines[0]) != self._header:
            raise ConfigError(f"{self.path}: written by a sandbox with another seed or population")
        records: list[OpRecord] = []
        accounts: list[Account] = []
        for number, line in enumerate(lines[1:], start=2):
            try:
                parsed = _Line.model_validate_json(line)
            except ValidationError as exc:
                raise ConfigError(f"{self.path}:{number}: {wire.describe(exc)}") from None
            records.extend(_record(stored) for stored in parsed.operations)
            accounts.extend(Account.from_wire(sub) for sub in parsed.subscribers)
        return records, accounts

    def _intact_text(self) -> str:
        """The file up to its last complete line, truncating a torn tail."""
        raw = self.path.read_bytes()
        cut = raw.rfind(b"\n") + 1
        if cut < len(raw):
            with self.path.open("r+b") as fh:
                fh.truncate(cut)
        return raw[:cut].decode("utf-8")

    def append(self, records: Sequence[OpRecord], accounts: Sequence[Account]) -> None:
        """Record one change; flushed to the OS before returning."""
        line = {"operations": [_stored(r) for r in records], "subscribers": [a.to_wire() for a in accounts]}
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n")


def _stored(rec: OpRecord) -> dict[str, Any]:
    return {
        "request": wire.operation_body(rec.operation),
        "result": rec.to_wire(),
        "previous_valid_until": rec.previous_valid_until.isoformat() if rec.previous_valid_until else None,
        "redeemed": sorted(rec.redeemed),
        "repeat": rec.repeat,
        "reversals": rec.reversals,
    }


def _record(stored: _StoredOperation) -> OpRecord:
    result = stored.result
    return OpRecord(
        operation=wire.operation_of(stored.request),
        result=result.to_domain(),
        previous_valid_until=stored.previous_valid_until,
        redeemed=set(stored.redeemed),
        reversed_at=result.reversed_at,
        reversal_reason=result.reversal_reason,
        repeat=stored.repeat,
        reversals=stored.reversals,
    )
