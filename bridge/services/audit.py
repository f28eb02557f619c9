"""A person's action and its audit entry: what they are told (``Outcome``), and the entry written
with the change it records.

Every audited action leaves one entry (who, when, before → after, note, and
whether it did anything). When the action changes something, the entry is an
``AuditNote`` handed to the store method that makes the change, which inserts it
in the same transaction (``audited``): a crash or a database error can leave
neither, never a change nobody can trace. An outcome that changed nothing (a
refusal, a line already moved on) is audited alone (``finish``).
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from bridge.core.records import AuditNote, LineRecord
from bridge.services.deps import Deps


class OutcomeStatus(enum.StrEnum):
    """What an action did; compares equal to, and is written (audit, redirects, the CLI) as, its text."""

    DONE = "done"  # the line moved (or the billing core was asked)
    UNCHANGED = "unchanged"  # nothing to do: the line was no longer where the person saw it
    REFUSED = "refused"  # not allowed or not possible; the code says why


@dataclass(frozen=True)
class Outcome:
    """What happened: ``status`` done | unchanged | refused, ``code`` a message key for people."""

    status: OutcomeStatus
    code: str
    line: LineRecord | None = None
    params: dict[str, str] = field(default_factory=dict)

    @property
    def done(self) -> bool:
        return self.status is OutcomeStatus.DONE

    @property
    def refused(self) -> bool:
        return self.status is OutcomeStatus.REFUSED


def audit_note(
    deps: Deps,
    actor: str,
    action: str,
    outcome: Outcome,
    note: str = "",
    detail: dict[str, Any] | None = None,
    batch: str | None = None,
) -> AuditNote:
    """The audit entry of ``outcome``: its code and params, then ``detail``; in ``batch`` if any."""
    merged = {"code": outcome.code, **outcome.params, **(detail or {})}
    return AuditNote(deps.clock(), actor, action, outcome.status.value, note or None, merged, batch)


async def finish(
    deps: Deps,
    actor: str,
    action: str,
    outcome: Outcome,
    note: str = "",
    detail: dict[str, Any] | None = None,
    batch: str | None = None,
) -> Outcome:
    """The audit entry alone, for an ``outcome`` that changed nothing (the line's state now is "after")."""
    line = outcome.line
    after = await deps.store.console.line_by_id(line.id) if line is not None else None
    entry = audit_note(deps, actor, action, outcome, note, detail, batch)
    before = line.state.value if line else None
    await write_alone(deps, entry, line, before, after.state.value if after else None)
    return outcome


async def write_alone(
    deps: Deps,
    entry: AuditNote,
    line: LineRecord | None = None,
    before: str | None = None,
    after: str | None = None,
) -> None:
    """``entry``'s row in a transaction of its own, ``line``'s state ``before`` → ``after``."""
    await deps.store.console.add_audit(
        at=entry.at,
        actor=entry.actor,
        action=entry.action,
        outcome=entry.outcome,
        line=line,
        before=before,
        after=after,
        note=entry.note,
        detail=entry.detail,
        batch=entry.batch,
    )


Change = Callable[[AuditNote], Awaitable[bool]]
"""A store move that takes the audit entry to commit with it; True when the line moved."""


async def audited(
    deps: Deps,
    actor: str,
    action: str,
    done: Outcome,
    change: Change,
    note: str = "",
    detail: dict[str, Any] | None = None,
    batch: str | None = None,
) -> Outcome:
    """Make ``change`` with ``done``'s audit entry in its transaction (both or neither); when the
    line had moved on meanwhile, "unchanged" is audited alone."""
    if await change(audit_note(deps, actor, action, done, note, detail, batch)):
        return done
    unchanged = Outcome(OutcomeStatus.UNCHANGED, "not_waiting", done.line)
    return await finish(deps, actor, action, unchanged, note, detail, batch)
