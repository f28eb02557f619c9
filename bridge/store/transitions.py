"""The one compare-and-set of a line's state, for one line or a batch, inside the caller's transaction.

``move_lines`` checks each move against the transition table
(``bridge.core.states``), reads the lines' states (and leases) under lock,
and changes a line only when it is still in a state it may move from and,
for a fenced move, still under the lease its record was read with
(``bridge.store.fencing``): ``UPDATE lines … WHERE id = ? AND state = ?
[AND lease_token = ? AND lease_owner IS NOT DISTINCT FROM ?]``, its row count
checked. The event rows (masked), the memos for CS (a line leaving a state
that its section of the seller memo speaks of queues one, so that the
section follows the line: ``bridge.core.memos``) and the trades' delivery
states are written only for moves that happened, each kind in one statement
for the whole batch. The repositories call it within one ``engine.begin()``,
so a transition and its event are committed together, before any remote call
that depends on them.

Locks (PostgreSQL; SQLite serialises writers at BEGIN): a batch that may
change a trade's delivery locks its trades' rows first (by id), then reads
their lines afresh, the same trade → line order intake takes them, so moves
of sibling lines queue on the trade and the one that settles the last line
sees the others' committed states (READ COMMITTED reads afresh per statement):
a trade is marked due exactly once, never missed. Every writer of a line's
state locks its trade first, so the states read after that lock stay true
until the transaction ends. A batch of moves among the in-flight states
(which never change a trade's delivery) locks only its lines' rows, by id:
it takes no trade lock at all, so it cannot invert the order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache, lru_cache
from typing import Any

from sqlalchemy import Insert, Select, Update, and_, bindparam, select, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from bridge.core.memos import leaving_memo
from bridge.core.reasons import Memo
from bridge.core.records import LineRecord
from bridge.core.states import IN_FLIGHT, DeliveryState, LineState, check_transition, delivery_state
from bridge.store.api_settle import settle_api_orders
from bridge.store.chunks import SHAPED_ROWS, chunks, rows_per_statement, shape_for
from bridge.store.fencing import bound_fence, fence_holds, fence_params
from bridge.store.schema import events, lines, trades
from bridge.store.timeline import add_events, event_row, insert_memos, memo_row

# re-exported: the repositories build their transactions from these steps
__all__ = ["Move", "Moved", "lock_trade", "move_line", "move_lines"]


@dataclass(frozen=True)
class Move:
    """One line's move: to ``to`` from one of ``frm`` (default: its recorded state).

    ``sets`` are the other columns the move changes, written in the same
    compare-and-set (store-internal: the ports name each move instead).
    ``fenced``: only under the lease ``line`` was read with (and, with
    ``live_after``, one that lasts beyond that moment).
    """

    line: LineRecord
    to: LineState
    kind: str = "state"
    frm: Iterable[LineState] | None = None
    reason: str | None = None
    detail: dict[str, Any] | None = None
    memo: Memo | None = None
    sets: Mapping[str, Any] = field(default_factory=dict)
    fenced: bool = False
    live_after: datetime | None = None

    def __post_init__(self) -> None:
        if self.frm is not None:  # a generator is read once
            object.__setattr__(self, "frm", tuple(self.frm))

    def sources(self) -> tuple[LineState, ...]:
        return tuple(self.frm) if self.frm is not None else (self.line.state,)


@dataclass(frozen=True)
class Moved:
    """What became of one move: ``left`` is the state the line left (None: it did not move);
    ``held`` whether the line was still under its lease (always True for an unfenced move);
    ``state`` the line's state now."""

    left: str | None
    held: bool
    state: LineState


def lock_trade(trade_id: int) -> Select[Any]:
    """The trade's delivery state, its row locked until the transaction ends (PostgreSQL)."""
    return select(trades.c.delivery_state).where(trades.c.id == trade_id).with_for_update()


def _affects_delivery(current: LineState, to: LineState) -> bool:
    """Moves among the in-flight states never change whether a trade is due for write-back."""
    return not (current in IN_FLIGHT and to in IN_FLIGHT)


_READ = (
    lines.c.id,
    lines.c.trade_id,
    lines.c.state,
    lines.c.lease_owner,
    lines.c.lease_token,
    lines.c.lease_until,
)


@cache
def _read_statement(dialect: str, touches_trades: bool) -> Select[Any]:
    """The lines' read under lock, built once per shape: by trade ids (``ids``) when the batch
    may change a trade's delivery (on SQLite with the trades' states joined), else by line ids."""
    read = select(*_READ)
    if touches_trades and dialect == "sqlite":
        read = read.add_columns(trades.c.delivery_state).join_from(
            lines, trades, lines.c.trade_id == trades.c.id
        )
    key = lines.c.trade_id if touches_trades else lines.c.id
    return read.where(key.in_(bindparam("ids", expanding=True))).order_by(lines.c.id).with_for_update()


_LOCK_TRADES = (
    select(trades.c.id, trades.c.delivery_state)
    .where(trades.c.id.in_(bindparam("ids", expanding=True)))
    .order_by(trades.c.id)
    .with_for_update()
)


async def _read_locked(
    conn: AsyncConnection, moves: Sequence[Move]
) -> tuple[dict[int, str], dict[int, list[Any]]]:
    """Lock what the batch needs and read its lines: (trade id → delivery state, trade id → lines).

    The trades are locked (and their lines read) only when a move may change a
    trade's delivery; otherwise only the moving lines are read, locked by id.
    """
    touches_trades = any(_affects_delivery(source, m.to) for m in moves for source in m.sources())
    sqlite = conn.dialect.name == "sqlite"
    delivery: dict[int, str] = {}
    if touches_trades:
        ids = sorted({m.line.trade_id for m in moves})
        if not sqlite:  # no row locks on SQLite (writers queue at BEGIN): its states come with the lines
            for piece in chunks(conn, ids):  # in id order, piece after piece
                rows = (await conn.execute(_LOCK_TRADES, {"ids": piece})).all()
                delivery.update({r.id: r.delivery_state for r in rows})
    else:
        ids = sorted({m.line.id for m in moves})
    read = _read_statement(conn.dialect.name, touches_trades)
    by_trade: dict[int, list[Any]] = {}
    for piece in chunks(conn, ids):
        for row in (await conn.execute(read, {"ids": piece})).all():
            by_trade.setdefault(row.trade_id, []).append(row)
            if touches_trades and sqlite:
                delivery[row.trade_id] = row.delivery_state
    return delivery, by_trade


def _update_values(move: Move, now: datetime) -> dict[str, Any]:
    values: dict[str, Any] = {**move.sets, "state": move.to.value, "updated_at": now}
    if move.to is LineState.EXCEPTION:
        values.update(reason=move.reason, reason_detail=(move.detail or {}).get("message"))
    return values


@cache
def _set_line_statement(fenced: bool, columns: tuple[str, ...]) -> Update:
    """The compare-and-set of one line, built once per shape (fenced or not, the columns set):
    ``w_id``, ``w_state`` (and ``w_token``, ``w_owner``) for the row, ``v_<column>`` for each value."""
    where = and_(lines.c.id == bindparam("w_id"), lines.c.state == bindparam("w_state"))
    if fenced:
        where = and_(where, bound_fence())
    return (
        lines.update().where(where).values({c: bindparam(f"v_{c}", type_=lines.c[c].type) for c in columns})
    )


async def _set_line(conn: AsyncConnection, move: Move, current: str, now: datetime) -> bool:
    """The compare-and-set itself, the state read (and the lease) repeated; its row count decides.

    The rows were read locked, so this cannot lose; the check stays all the same.
    """
    values = _update_values(move, now)
    params = {f"v_{c}": v for c, v in values.items()}
    params.update(w_id=move.line.id, w_state=current)
    if move.fenced:
        params.update(fence_params(move.line))
    done = await conn.execute(_set_line_statement(move.fenced, tuple(sorted(values))), params)
    return bool(done.rowcount == 1)


_FENCE_KEYS = {"fence_token": "lease_token", "fence_owner": "lease_owner"}
"""The lease a fenced row was read with, under names of their own (a move may also set the lease)."""
_KEY_COLUMNS = {"from_state": "state", **_FENCE_KEYS}


def _keys(fenced: bool, columns: Sequence[str]) -> list[str]:
    return ["id", "from_state", *(_FENCE_KEYS if fenced else []), *columns]


@lru_cache(maxsize=256)
def _set_lines_statement(fenced: bool, columns: tuple[str, ...], n: int) -> Update:
    """``_set_lines``' statement for ``n`` lines, built once per shape: row ``i``'s values bound as
    ``r<i>_<key>``, each typed as its column (``from_state`` as the state, the fence as the lease)
    so both engines bind them alike."""

    def row(i: int) -> Select[Any]:
        return select(
            *(
                bindparam(f"r{i}_{k}", type_=lines.c[_KEY_COLUMNS.get(k, k)].type).label(k)
                for k in _keys(fenced, columns)
            )
        )

    v = union_all(*(row(i) for i in range(n))).subquery("v")
    where = and_(lines.c.id == v.c.id, lines.c.state == v.c.from_state)
    if fenced:
        where = and_(where, lines.c.lease_token == v.c.fence_token)
        where = and_(where, lines.c.lease_owner.is_not_distinct_from(v.c.fence_owner))
    return lines.update().where(where).values({k: v.c[k] for k in columns}).returning(lines.c.id)


async def _set_lines(conn: AsyncConnection, group: Sequence[tuple[Move, str]], now: datetime) -> set[int]:
    """The compare-and-set of several lines moving with the same columns, one statement a piece
    (``bridge.store.chunks``: within the engine's limits on rows and bound parameters).

    ``UPDATE lines SET … FROM (SELECT ? AS id, ? AS state, … UNION ALL …) AS v
    WHERE lines.id = v.id AND lines.state = v.state [AND the fence]
    RETURNING id``: each line's own state (and lease) repeated, and the ids
    returned say which moved (a row count per line).
    """
    first, _ = group[0]
    fenced = first.fenced
    columns = tuple(sorted(_update_values(first, now)))
    keys = _keys(fenced, columns)
    done: set[int] = set()
    most = min(rows_per_statement(conn, len(keys)), SHAPED_ROWS)
    for piece in chunks(conn, group, params_per_row=len(keys), at_most=most):
        shape = shape_for(len(piece), most)
        params: dict[str, Any] = {f"r{i}_{k}": None for i in range(len(piece), shape) for k in keys}
        for i, (move, current) in enumerate(piece):  # the padding rows' NULL id matches no line
            values = {**_update_values(move, now), "id": move.line.id, "from_state": current}
            values.update(fence_token=move.line.lease_token, fence_owner=move.line.lease_owner)
            params.update({f"r{i}_{k}": values[k] for k in keys})
        stmt = _set_lines_statement(fenced, columns, shape)
        done.update((await conn.execute(stmt, params)).scalars().all())
    return done


async def move_lines(
    conn: AsyncConnection, moves: Sequence[Move], *, now: datetime, actor: str
) -> list[Moved]:
    """Make each move that its line's state (and lease) still allows; what became of each, in order.

    Raises ``IllegalTransition`` for a move the table does not allow. One line
    moves at most once per batch. A move to EXCEPTION records its reason (and
    the detail's message) on the line.
    """
    for m in moves:
        for source in m.sources():
            check_transition(source, m.to)
    if not moves:
        return []
    if len(moves) == 1 and _in_flight_only(moves[0]):
        moved = await _move_in_flight(conn, moves[0], now, actor)
        if moved is not None:
            return [moved]
    delivery, by_trade = await _read_locked(conn, moves)
    rows = {r.id: r for trade_rows in by_trade.values() for r in trade_rows}
    states = {r.id: r.state for r in rows.values()}
    results: list[Moved] = []
    events: list[dict[str, Any]] = []
    memos: list[dict[str, Any]] = []
    changed_trades: set[int] = set()
    allowed = [
        (m, rows[m.line.id].state)
        for m in moves
        if rows[m.line.id].state in {s.value for s in m.sources()}
        and (not m.fenced or fence_holds(rows[m.line.id], m.line, live_after=m.live_after))
    ]
    done = await _set_all(conn, allowed, now)
    for m in moves:
        row = rows[m.line.id]
        current = LineState(row.state)
        if m.line.id not in done:
            held = not m.fenced or fence_holds(row, m.line, live_after=m.live_after)
            results.append(Moved(None, held and (m, row.state) not in allowed, current))
            continue
        states[m.line.id] = m.to.value
        results.append(Moved(row.state, True, m.to))
        events.append(_event(m, row.state, now, actor))
        memo = m.memo or leaving_memo(m.line.oid, row.state, m.to.value, now)
        if memo is not None:
            memos.append(memo_row(m.line.shop, m.line.tid, memo, now))
        if _affects_delivery(current, m.to):
            changed_trades.add(m.line.trade_id)
    await add_events(conn, events)
    await insert_memos(conn, memos)
    await _refresh_trades(conn, changed_trades, delivery, by_trade, states, now)
    await settle_api_orders(conn, [m.line for m in moves if m.line.trade_id in changed_trades], now)
    return results


def _in_flight_only(m: Move) -> bool:
    return m.memo is None and m.to in IN_FLIGHT and all(source in IN_FLIGHT for source in m.sources())


_EVENT_COLUMNS = [c.name for c in events.c if c.name != "id"]


@cache
def _in_flight_statement(fenced: bool, live_after: bool) -> Insert:
    """``_move_in_flight``'s event insert, built once per shape: the event's values as ``e_<column>``,
    the line as ``w_id`` in one of ``w_sources`` (and its fence, and a lease beyond ``w_live_after``)."""
    where = and_(lines.c.id == bindparam("w_id"), lines.c.state.in_(bindparam("w_sources", expanding=True)))
    if fenced:
        where = and_(where, bound_fence())
        if live_after:
            where = and_(
                where, lines.c.lease_until > bindparam("w_live_after", type_=lines.c.lease_until.type)
            )
    picked = [
        lines.c.state if name == "from_state" else bindparam(f"e_{name}", type_=events.c[name].type)
        for name in _EVENT_COLUMNS
    ]
    source = select(*picked).where(where).with_for_update()
    return events.insert().from_select(_EVENT_COLUMNS, source).returning(events.c.from_state)


async def _move_in_flight(conn: AsyncConnection, m: Move, now: datetime, actor: str) -> Moved | None:
    """A lone move among the in-flight states in two statements; None when it cannot be made
    (then the general path finds out why).

    The event row is inserted from the line's row, which the same statement
    reads (locked) with the compare-and-set's conditions: ``INSERT INTO events
    … SELECT …, lines.state, … FROM lines WHERE id = ? AND state IN (…) [AND the
    fence] FOR UPDATE RETURNING from_state``; the line is then moved from the
    state returned, its row count checked (a miss rolls the event back).
    """
    values = _event(m, "", now, actor)
    params: dict[str, Any] = {f"e_{name}": values[name] for name in _EVENT_COLUMNS if name != "from_state"}
    params.update(w_id=m.line.id, w_sources=[s.value for s in m.sources()])
    live_after = m.fenced and m.live_after is not None
    if m.fenced:
        params.update(fence_params(m.line))
        if live_after:
            params["w_live_after"] = m.live_after
    added = _in_flight_statement(m.fenced, live_after)
    left = (await conn.execute(added, params)).scalar_one_or_none()
    if left is None:
        return None
    if not await _set_line(conn, m, left, now):
        raise RuntimeError(f"line {m.line.id} changed under its lock")
    return Moved(left, True, m.to)


async def _set_all(conn: AsyncConnection, allowed: Sequence[tuple[Move, str]], now: datetime) -> set[int]:
    """The ids of the lines that moved: alike moves of several lines in one statement each."""
    groups: dict[tuple[bool, tuple[str, ...]], list[tuple[Move, str]]] = {}
    for m, current in allowed:
        groups.setdefault((m.fenced, tuple(sorted(_update_values(m, now)))), []).append((m, current))
    done: set[int] = set()
    for group in groups.values():
        if len(group) > 1:
            done |= await _set_lines(conn, group, now)
            continue
        [(m, current)] = group
        if await _set_line(conn, m, current, now):
            done.add(m.line.id)
    return done


def _event(m: Move, left: str, now: datetime, actor: str) -> dict[str, Any]:
    line = m.line
    return event_row(
        now=now,
        shop=line.shop,
        tid=line.tid,
        oid=line.oid,
        line_id=line.id,
        actor=actor,
        kind=m.kind,
        from_state=left,
        to_state=m.to.value,
        reason=m.reason,
        detail=m.detail,
    )


async def _refresh_trades(
    conn: AsyncConnection,
    trade_ids: set[int],
    delivery: dict[int, str],
    by_trade: dict[int, list[Any]],
    states: dict[int, str],
    now: datetime,
) -> None:
    """Recompute each trade's delivery state from its lines (a delivered trade stays delivered).

    Decided under the trades' row locks, from the lines read after them; one
    UPDATE per target state for the whole batch.
    """
    targets: dict[DeliveryState, list[int]] = {}
    for trade_id in sorted(trade_ids):
        current = delivery[trade_id]
        if current == DeliveryState.DELIVERED.value:
            continue
        target = delivery_state([LineState(states[r.id]) for r in by_trade[trade_id]])
        if target.value != current:
            targets.setdefault(target, []).append(trade_id)
    for target, ids in targets.items():
        due = target is DeliveryState.DUE
        for piece in chunks(conn, ids):
            params = {"ids": piece, "v_state": target.value, "v_now": now}
            await conn.execute(_TRADES_DUE if due else _TRADES_STATE, params)


_TRADES_STATE = (
    trades.update()
    .where(trades.c.id.in_(bindparam("ids", expanding=True)))
    .values(
        delivery_state=bindparam("v_state"), updated_at=bindparam("v_now", type_=trades.c.updated_at.type)
    )
)
# a trade becoming due for write-back is due from now
_TRADES_DUE = _TRADES_STATE.values(delivery_next_at=bindparam("v_now", type_=trades.c.delivery_next_at.type))


async def move_line(
    conn: AsyncConnection,
    line: LineRecord,
    to: LineState,
    *,
    now: datetime,
    actor: str,
    kind: str = "state",
    frm: Iterable[LineState] | None = None,
    reason: str | None = None,
    detail: dict[str, Any] | None = None,
    memo: Memo | None = None,
    sets: Mapping[str, Any] | None = None,
) -> bool:
    """Move ``line`` to ``to`` if it is still in one of ``frm`` (default: its recorded state).

    The one-line form of ``move_lines`` (unfenced); True when the line moved.
    """
    move = Move(line, to, kind, frm, reason, detail, memo, sets or {})
    [moved] = await move_lines(conn, [move], now=now, actor=actor)
    return moved.left is not None
