"""Push intake: the marketplace's messages (TMC) make their trades be read and stored at once.

A message carries only ids and may be stale, repeated, out of order or never
sent, so it is only ever a reason to read its trade again: ``push_once``
consumes a batch, reads each distinct trade in full and stores the batch's
trades through the very path polling uses (``intake.ingest_tids``: a page of
trades in one transaction; stored trades are unique per shop + tid + oid, so a
repeat changes nothing), and confirms a message only after its trade was
stored. A trade whose stored read came after the message was published
already shows what the message announced and is not read again
(``bridge.core.relisting.read_since``). A message whose trade could not be read or
stored stays unconfirmed: the marketplace hands it out again after its
redelivery timeout. Polling (``intake``) stays on as the safety net and finds
a trade whose message was lost.

The queue belongs to the app, not to a shop: shops that share an app (same
router and app key) are served by one consumer, and each message goes to the
shop whose ``seller_nick`` it names; a message of a seller none of our shops
is, or one that cannot be read at all, is confirmed and left alone (polling
still covers our own trades). Several instances may consume one group at
once: each message goes to one of them, and confirming is per message id.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field

import structlog

from bridge.core.errors import BridgeError
from bridge.core.relisting import read_since
from bridge.core.trades import PushBatch, PushMessage
from bridge.services.deps import Deps
from bridge.services.intake import PollReport, ingest_tids

log = structlog.get_logger("bridge.services.push")

_ERROR_PAUSE_S = 5.0


@dataclass(frozen=True)
class _App:
    """One app's message queue and the shops it feeds."""

    consumer: str  # the shop whose client consumes and confirms
    shops: tuple[str, ...]

    def shop_for(self, deps: Deps, message: PushMessage) -> str | None:
        """Our shop the message is about; ``None`` for another seller's."""
        if len(self.shops) == 1 and not deps.settings.shops[self.shops[0]].message_seller:
            return self.shops[0]
        for shop in self.shops:
            if deps.settings.shops[shop].message_seller == message.shop_account:
                return shop
        return None


@dataclass
class PushReport:
    consumer: str
    messages: int = 0
    trades: int = 0
    confirmed: int = 0
    ignored: int = 0  # another seller's, unreadable, or naming no trade: confirmed, nothing done
    unconfirmed: list[str] = field(default_factory=list)  # tids not stored: their messages come back


def app_consumers(deps: Deps) -> Iterator[_App]:
    """One consumer per app (router + app key), feeding every shop on that app."""
    by_app: dict[tuple[str, str], list[str]] = {}
    for name, shop in deps.settings.shops.items():
        if shop.push_queue is not None:
            by_app.setdefault(shop.push_queue, []).append(name)
    for names in by_app.values():
        yield _App(names[0], tuple(names))


async def push_all(deps: Deps) -> list[PushReport]:
    """Consume every app's messages until a round finds none, or the daemon stops.

    A failed consume or confirm is logged and pauses this run (the messages
    wait in the marketplace); the scheduler starts the next run.
    """
    reports: list[PushReport] = []
    while not deps.runtime.stopping.is_set():
        try:
            round_ = [await push_once(deps, app) for app in app_consumers(deps)]
        except BridgeError as exc:
            log.error("push_failed", error=str(exc), error_kind=type(exc).__name__)
            await _pause(deps, _ERROR_PAUSE_S)
            return reports
        reports.extend(round_)
        if all(r.messages == 0 for r in round_):
            return reports
    return reports


async def _pause(deps: Deps, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):  # the pause simply ran out
        await asyncio.wait_for(deps.runtime.stopping.wait(), timeout=seconds)


async def push_once(deps: Deps, app: _App) -> PushReport:
    """One consume of ``app``'s group: store each message's trade, then confirm what was stored."""
    source = deps.shops[app.consumer].push
    report = PushReport(app.consumer)
    if source is None:  # the shop has no push: polling alone
        return report
    batch = await source.consume(deps.settings.push.batch)
    report.messages = len(batch)
    if not report.messages:
        return report
    done, todo = _sort(deps, app, batch, report)
    report.trades = sum(len(trades) for trades in todo.values())
    for shop, trades in todo.items():
        if deps.runtime.stopping.is_set():  # shutting down: no new read; the messages come back
            report.unconfirmed.extend(trades)
            continue
        stored = await _stored(deps, shop, trades)
        for tid, messages in trades.items():
            if tid in stored:
                done.extend(m.message_id for m in messages)
            else:
                report.unconfirmed.append(tid)
    if done:
        await source.confirm(done)
    report.confirmed = len(done)
    log.info(
        "pushed",
        consumer=app.consumer,
        messages=report.messages,
        trades=report.trades,
        confirmed=report.confirmed,
        unconfirmed=len(report.unconfirmed),
    )
    return report


def _sort(
    deps: Deps, app: _App, batch: PushBatch, report: PushReport
) -> tuple[list[str], dict[str, dict[str, list[PushMessage]]]]:
    """Message ids to confirm as they are, and by shop the trades to read with their messages."""
    done = [message_id for message_id, _ in batch.unreadable if message_id is not None]
    report.ignored += len(batch.unreadable)
    todo: dict[str, dict[str, list[PushMessage]]] = {}
    for message in batch.messages:
        shop = app.shop_for(deps, message)
        if shop is None or message.tid is None:
            log.info(
                "message_ignored",
                message_id=message.message_id,
                topic=message.topic,
                reason="another seller" if shop is None else "no trade id",
            )
            report.ignored += 1
            done.append(message.message_id)
        else:
            todo.setdefault(shop, {}).setdefault(message.tid, []).append(message)
    return done, todo


async def _stored(deps: Deps, shop: str, trades: dict[str, list[PushMessage]]) -> set[str]:
    """Read and store the trades the messages name (the polling path), except those whose stored
    read came after every message about them; the tids whose messages may be confirmed."""
    tids = list(trades)
    known = await deps.store.intake.known_versions(shop, tids)
    covered = {t for t in tids if all(read_since(known.get(t), m.published) for m in trades[t])}
    fresh = [t for t in tids if t not in covered]
    outcome = PollReport(shop)
    try:
        await ingest_tids(deps, shop, fresh, outcome, known=set(known))
    except BridgeError as exc:  # transient or configuration: the messages come back
        kind = type(exc).__name__
        for tid in fresh:
            log.warning("pushed_trade_not_stored", shop=shop, tid=tid, error=str(exc), error_kind=kind)
        return covered
    for tid in outcome.failed:  # recorded for a person by intake; read again when the message comes back
        log.warning("pushed_trade_not_stored", shop=shop, tid=tid, error="unreadable or unstorable")
    return set(tids) - set(outcome.failed)
