"""The trade's seller memo as the bridge sees it: sections it owns, one per line, and CS's own text.

Shop staff read the seller memo in the marketplace's back office. The bridge
writes one short section per order line that needed a person, each on its own
line of the memo and tagged so it can be found again::

    [自动发货]子单…345678：智能卡号不存在，请联系买家核对卡号。请到客服台处理

(the last six digits of the oid, more when two lines of the trade share them;
sections in the earlier form ``[自动发货] 子订单{oid}：…`` are recognised
too). Every other line of the memo is CS's own text: kept verbatim, in place,
never reordered. ``follow`` replaces each line's section from the line's state
now (the reason and "请到客服台处理" while it needs CS; "已开通 12-01 10:32",
"已退款"... once it is settled) and decides the mark, a ``Severity`` (each storefront
renders it: Taobao's red, yellow, green and grey flags):

    ACT      a line is in EXCEPTION (CS must act in the console)
    WATCH    nothing in EXCEPTION, but a refund waits for CS (after provisioning,
             or a line CS cancelled whose buyer is not yet refunded), or a line is held
    DONE     every line with a section is settled: nothing left for CS
    as is    a mark only a person sets (``None``: Taobao's blue and pink) is CS's own and kept;
             a line still moving after a fix leaves the mark as it was until it settles

The storefront keeps a note of limited length (its ``NoteRules``: Taobao's
1000 UTF-8 bytes), passed in where the memo is fitted: when the memo would be
longer, the bridge's own text gives way first (settled sections dropped, then reasons
shortened), and only then is CS's text cut, oldest first. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from bridge.core.models import CST
from bridge.core.reasons import Memo, reason_text
from bridge.core.records import LineRecord
from bridge.core.states import IN_FLIGHT, LineState
from bridge.core.trades import NoteRules, RefundState, Severity

S = LineState
TAG = "[自动发货]"
TO_CS = "请到客服台处理"
_SECTION = re.compile(r"^\[自动发货\] ?子(?:订)?单…?([A-Za-z0-9._-]+)：")
_TAIL = 6


KEPT = "kept"
"""What a memo row records as its mark when the storefront's was a person's, left as it was."""


@dataclass(frozen=True)
class Note:
    """What one line's section says, and how much it still asks of CS (the flag it needs)."""

    text: str
    flag: Severity | None  # ACT / WATCH: CS has work; DONE: settled; None: still moving, undecided
    short: str = ""  # the text when the memo is too long (empty: the section may be dropped)


def note_for(line: LineRecord) -> Note:
    """The section for ``line``'s state now."""
    at = line.updated_at.astimezone(CST).strftime("%m-%d %H:%M") if line.updated_at else ""
    if line.state is S.EXCEPTION:
        return Note(f"{reason_text(line.reason or '')}。{TO_CS}", Severity.ACT, f"需人工处理，{TO_CS}")
    if line.state is S.REVERSAL_PENDING and line.reason in _REVERSAL_REASONS:
        return Note(f"{reason_text(line.reason or '')}。{TO_CS}", Severity.WATCH, f"冲正未完成，{TO_CS}")
    if line.state is S.REVERSAL_REQUESTED:
        return Note("已申请冲正，等待管理员批准", Severity.WATCH, "冲正待审批")
    if line.state is S.REVERSING:
        return Note("冲正处理中", Severity.WATCH, "冲正中")
    if line.state is S.REVERSAL_PENDING:
        return Note(
            f"{reason_text('REFUND_AFTER_DELIVERY')}。{TO_CS}", Severity.WATCH, f"退款待处理，{TO_CS}"
        )
    if line.state is S.HELD:
        return Note(reason_text("REFUND_REQUESTED"), Severity.WATCH, "退款中，暂停充值")
    if (
        line.state is S.CANCELLED
        and line.reason == "REFUND_BY_CS"
        and line.refund_status != RefundState.REFUNDED
    ):
        return Note("客服已取消，请在网店后台为买家退款", Severity.WATCH, "已取消，待退款")
    if line.state in (S.APPLIED, S.DELIVERED):
        return Note(f"已开通 {at}".strip(), Severity.DONE)
    if line.state is S.RESOLVED:
        return Note(f"客服已处理 {at}".strip(), Severity.DONE)
    if line.state is S.CANCELLED:
        return Note("已退款，未充值", Severity.DONE)
    if line.state is S.REVERSED:
        return Note(f"已退款冲正 {at}".strip(), Severity.DONE)
    return Note("已改正，处理中", None)


_REVERSAL_REASONS = frozenset({"REVERSAL_REJECTED", "REVERSAL_NOT_ALLOWED"})
"""Why a reversal came back to CS (the line is REVERSAL_PENDING again)."""


def needs_section(line: LineRecord) -> bool:
    """A line without a section gets one only when it waits for CS (what always got a memo)."""
    return line.state in (S.EXCEPTION, S.REVERSAL_PENDING, S.REVERSAL_REQUESTED, S.REVERSING) or (
        line.state is S.CANCELLED and line.reason == "REFUND_BY_CS"
    )


def tails(oids: Sequence[str]) -> dict[str, str]:
    """Each oid's tag: its last six characters, more while another oid of the trade ends alike."""
    found: dict[str, str] = {}
    for oid in oids:
        n = _TAIL
        while n < len(oid) and any(o != oid and o.endswith(oid[-n:]) for o in oids):
            n += 1
        found[oid] = oid[-n:]
    return found


def owner_of(tag: str, oids: Sequence[str]) -> str | None:
    """The one oid of the trade a section's tag names (None: none, or not one only)."""
    matches = [oid for oid in oids if oid.endswith(tag)]
    return matches[0] if len(matches) == 1 else None


@dataclass(frozen=True)
class _Own:
    """Where the bridge's section of line ``oid`` stands in the memo (CS's text stands as ``str``)."""

    oid: str


@dataclass(frozen=True)
class Followed:
    memo: str
    flag: Severity | None  # None: the mark the storefront shows is a person's, left as it is


def follow(
    memo: str | None, flag: Severity | None, lines: Sequence[LineRecord], rules: NoteRules
) -> Followed:
    """The trade's memo with each line's section replaced from its state now, and the mark to set.

    ``memo`` and ``flag`` are what the storefront shows now (read just before; ``flag`` ``None``:
    a mark only a person sets, kept);
    ``lines`` are every line of the trade as stored; ``rules`` the storefront's
    length limits for a note (``StorefrontPort.notes``), which the memo keeps.
    """
    by_oid = {line.oid: line for line in lines}
    tags = tails(list(by_oid))
    parts: list[str | _Own] = []  # CS's text as it is, or the line whose section stands there
    written: dict[str, str] = {}  # each section as it stands now
    for text in memo.split("\n") if memo else []:
        match = _SECTION.match(text)
        oid = owner_of(match.group(1), list(by_oid)) if match else None
        if oid is None:
            parts.append(text)
        elif oid not in written:  # a repeated section of the same line is dropped
            parts.append(_Own(oid))
            written[oid] = text
    parts.extend(_Own(line.oid) for line in lines if line.oid not in written and needs_section(line))
    notes = {p.oid: note_for(by_oid[p.oid]) for p in parts if isinstance(p, _Own)}
    # a line still moving after a fix keeps its section as it was written until it settles
    stale = {oid: written[oid] for oid, note in notes.items() if note.flag is None and oid in written}
    text = _fit(parts, notes, tags, stale, rules)
    return Followed(text, _flag(flag, notes))


def _flag(now: Severity | None, notes: dict[str, Note]) -> Severity | None:
    if now is None:  # a person's mark
        return None
    flags = [n.flag for n in notes.values()]
    for wanted in (Severity.ACT, Severity.WATCH):
        if wanted in flags:
            return wanted
    if None in flags or not flags:
        return now
    return Severity.DONE


def _section(oid: str, tags: dict[str, str], text: str) -> str:
    return f"{TAG}子单…{tags[oid]}：{text}"


def _fit(
    parts: list[str | _Own],
    notes: dict[str, Note],
    tags: dict[str, str],
    stale: dict[str, str],
    rules: NoteRules,
) -> str:
    """Join the memo; over the limit, the bridge's text gives way first, then CS's, oldest first."""
    full = {oid: stale.get(oid) or _section(oid, tags, n.text) for oid, n in notes.items()}
    text = _join(parts, full)
    if rules.fit(text):
        return text
    settled = [oid for oid, n in notes.items() if n.flag is Severity.DONE or not n.short]
    for oid in settled:  # settled sections go first, oldest first
        parts = [p for p in parts if p != _Own(oid)]
        text = _join(parts, full)
        if rules.fit(text):
            return text
    short = {oid: _section(oid, tags, n.short) for oid, n in notes.items() if n.short}
    text = _join(parts, short)
    if rules.fit(text):
        return text
    own = "\n".join(short[p.oid] for p in parts if isinstance(p, _Own))
    cs = "\n".join(p for p in parts if isinstance(p, str))
    start = _first(len(cs), lambda at: rules.fit(_joined(cs[at:], own)))  # CS's oldest text goes
    joined = _joined(cs[start:], own)
    return joined[: _first(len(joined), lambda at: not rules.fit(joined[: at + 1]))]


def _joined(cs: str, own: str) -> str:
    return f"{cs}\n{own}" if cs and own else (cs or own)


def _first(n: int, holds: Callable[[int], bool]) -> int:
    """The least ``at`` in ``0..n`` where ``holds`` (``n`` when none): ``holds`` turns true once, for good."""
    low, high = 0, n
    while low < high:
        middle = (low + high) // 2
        if holds(middle):
            high = middle
        else:
            low = middle + 1
    return low


def _join(parts: list[str | _Own], sections: dict[str, str]) -> str:
    return "\n".join(p if isinstance(p, str) else sections[p.oid] for p in parts)


SPOKEN_OF = frozenset({S.EXCEPTION, S.REVERSAL_PENDING, S.HELD, S.REVERSAL_REQUESTED, S.REVERSING})
"""States a line's section may speak of: leaving one queues a memo, so the section follows."""


def leaving_memo(oid: str, left: str, to: str, now: datetime) -> Memo | None:
    """The memo to queue with a move from ``left`` to ``to`` (None: the memo has nothing to follow).

    Its key is unique per move (a line may leave EXCEPTION more than once); its
    text and flag only record why: the writer renders the trade's sections from
    the lines' states at the moment it writes.
    """
    if left not in {s.value for s in SPOKEN_OF} or left == to:
        return None
    stamp = int(now.timestamp() * 1_000_000)
    return Memo(f"{oid}:{left[:3]}-{to[:3]}:{stamp}", f"{left} → {to}", Severity.NONE)


def refunded_memo(oid: str) -> Memo:
    """Queued once when the buyer of a line CS cancelled is refunded: its section says so."""
    return Memo(f"refunded:{oid}", "REFUND_BY_CS → refunded", Severity.NONE)


_KEY_PREFIXES = frozenset({"refund", "cs-refund", "refunded"})


def line_of_key(key: str) -> str | None:
    """The oid a queued memo's key names (``{oid}:…``, ``refund:{oid}``, ``cs-refund:{oid}``,
    ``refunded:{oid}``)."""
    head, _, rest = key.partition(":")
    oid = rest.partition(":")[0] if head in _KEY_PREFIXES else head
    return oid or None


def waits_to_settle(line: LineRecord) -> bool:
    """A line fixed by CS and still moving: its section is rewritten once it settles."""
    return line.state in IN_FLIGHT
