"""The sandbox billing core's rules: subscribers, balances, entitlements, the ledger.

Pure and synchronous (no HTTP, no sleeping), so each rule of interface v1 is
tested directly and the HTTP layer stays thin: idempotency by request_id, the
recharge bounds, subscribe extending from the later of today and
``valid_until``, card issuing, reversals. Every refusal is a ``SandboxError``
raised before anything changes, so a refused request is never stored and the
same request_id can succeed later (e.g. once the buyer corrects a card number).

Applied changes are handed to an optional ``journal`` callback (see
``journal.py``) before the answer is produced, so a restart keeps them.
"""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta

from adapters.billing_core.sandbox.records import Account, OpRecord, SandboxError, add_months, mask
from bridge.core.models import (
    CST,
    IssueCards,
    IssuedCard,
    Operation,
    OperationResult,
    Product,
    ProductKind,
    Recharge,
    Subscribe,
)

MAX_RECHARGE_FEN = 500_000
MAX_MONTHS = 36
MAX_CARDS = 100
CARD_VALIDITY_MONTHS = 12

Journal = Callable[[Sequence[OpRecord], Sequence[Account]], None]
"""Receives every applied change (records and accounts touched), in order."""


def now_cst() -> datetime:
    """The default clock: now, in China Standard Time."""
    return datetime.now(CST)


class SandboxState:
    """Accounts and the ledger of applied operations, with the interface's rules."""

    def __init__(
        self,
        products: Iterable[Product],
        accounts: Iterable[Account],
        *,
        clock: Callable[[], datetime] = now_cst,
        journal: Journal | None = None,
    ) -> None:
        self.products = {p.product_code: p for p in products}
        self.accounts = {a.card_no: a for a in accounts}
        self.records: dict[str, OpRecord] = {}  # by request_id, in the order applied
        self.repeats: list[OpRecord] = []  # dedupe off: a request_id applied again (see ``apply``)
        self.refreshes: Counter[str] = Counter()  # authorisation refreshes by card
        self._clock = clock
        self._journal = journal
        self._cards_issued = 0
        self._face_values = {p.price_fen for p in self.products.values() if p.kind is ProductKind.RECHARGE}

    # ----------------------------------------------------------------- queries

    def now(self) -> datetime:
        return self._clock().astimezone(CST)

    def account(self, card_no: str) -> Account:
        found = self.accounts.get(card_no)
        if found is None:
            raise SandboxError(404, "SUBSCRIBER_NOT_FOUND", f"no smart card {mask(card_no)}")
        return found

    def record(self, request_id: str) -> OpRecord:
        found = self.records.get(request_id)
        if found is None:
            raise SandboxError(404, "OPERATION_NOT_FOUND", f"no operation {request_id} was applied")
        return found

    def reversal_counts(self) -> dict[str, int]:
        """How many times each reversed operation was undone, by request_id (2 or more: reversed twice)."""
        return {rid: rec.reversals for rid, rec in self.records.items() if rec.reversals}

    def ledger(self) -> list[OpRecord]:
        """Every operation applied, repeats of a request_id included, in the order applied."""
        return sorted([*self.records.values(), *self.repeats], key=lambda r: r.result.applied_at)

    def listing(self, day: date) -> list[OpRecord]:
        """Every operation applied or reversed on ``day`` (CST), repeats included, oldest first."""

        def on_day(rec: OpRecord) -> bool:
            moments = [rec.result.applied_at, rec.reversed_at]
            return any(m is not None and m.astimezone(CST).date() == day for m in moments)

        return [rec for rec in self.ledger() if on_day(rec)]

    def restore(self, records: Iterable[OpRecord], accounts: Iterable[Account]) -> None:
        """Put back what a journal recorded (later entries win; repeats are kept apart)."""
        for account in accounts:
            self.accounts[account.card_no] = account
        for rec in records:
            if rec.repeat:
                if all(r.result.operation_id != rec.result.operation_id for r in self.repeats):
                    self.repeats.append(rec)
            else:
                self.records[rec.operation.request_id] = rec
        self._cards_issued = sum(len(r.result.cards) for r in self.ledger())

    # ------------------------------------------------------------- operations

    def apply(self, op: Operation, *, dedupe: bool = True) -> OpRecord:
        """Apply once; the same request_id again returns the stored record. With ``dedupe`` off (an
        older billing core) it is applied again, a new operation kept in ``repeats``."""
        existing = self.records.get(op.request_id)
        if existing is not None and not dedupe:
            rec, touched = self._applied(op)
            rec.repeat = True
            self.repeats.append(rec)
            self._commit([rec], touched)
            return rec
        if existing is not None:
            if existing.operation != op:
                raise SandboxError(
                    409, "IDEMPOTENCY_CONFLICT", f"request_id {op.request_id} was used with another payload"
                )
            return existing
        rec, touched = self._applied(op)
        self.records[op.request_id] = rec
        self._commit([rec], touched)
        return rec

    def _applied(self, op: Operation) -> tuple[OpRecord, list[Account]]:
        if isinstance(op, Recharge):
            return self._recharge(op)
        if isinstance(op, Subscribe):
            return self._subscribe(op)
        return self._issue_cards(op)

    def _result(
        self,
        op: Operation,
        *,
        balance_fen: int | None = None,
        valid_until: date | None = None,
        cards: tuple[IssuedCard, ...] = (),
    ) -> OperationResult:
        applied_at = self.now()
        op_id = f"OP{applied_at:%Y%m%d}{len(self.records) + len(self.repeats) + 1:08d}"
        return OperationResult(
            op.request_id, op_id, op.kind, "applied", applied_at, balance_fen, valid_until, cards
        )

    def _active(self, card_no: str) -> Account:
        account = self.account(card_no)
        if account.status != "active":
            raise SandboxError(422, "SUBSCRIBER_INACTIVE", f"account {mask(card_no)} is {account.status}")
        return account

    def _recharge(self, op: Recharge) -> tuple[OpRecord, list[Account]]:
        if not 1 <= op.amount_fen <= MAX_RECHARGE_FEN:
            raise SandboxError(
                422, "AMOUNT_OUT_OF_RANGE", f"one recharge is 1..{MAX_RECHARGE_FEN} fen, got {op.amount_fen}"
            )
        account = self._active(op.card_no)
        account.balance_fen += op.amount_fen
        return OpRecord(op, self._result(op, balance_fen=account.balance_fen)), [account]

    def _subscribe(self, op: Subscribe) -> tuple[OpRecord, list[Account]]:
        if not 1 <= op.months <= MAX_MONTHS:
            raise SandboxError(400, "INVALID_REQUEST", f"months must be 1..{MAX_MONTHS}, got {op.months}")
        product = self.products.get(op.product_code)
        if product is None:
            raise SandboxError(404, "PRODUCT_UNKNOWN", f"no product {op.product_code}")
        if product.kind is not ProductKind.CHANNEL:
            raise SandboxError(400, "INVALID_REQUEST", f"{op.product_code} is not a channel product")
        account = self._active(op.card_no)
        if product.requires_two_way and not account.two_way:
            raise SandboxError(
                422,
                "TWO_WAY_REQUIRED",
                f"{op.product_code} needs a two-way set-top box; {mask(op.card_no)} has none",
            )
        today = self.now().date()
        previous = account.entitlements.get(op.product_code)
        until = add_months(max(today, previous) if previous else today, op.months)
        account.entitlements[op.product_code] = until
        self.refreshes[op.card_no] += 1  # a subscribe re-sends the authorisation
        rec = OpRecord(op, self._result(op, valid_until=until), previous_valid_until=previous)
        return rec, [account]

    def _issue_cards(self, op: IssueCards) -> tuple[OpRecord, list[Account]]:
        if not 1 <= op.count <= MAX_CARDS:
            raise SandboxError(400, "INVALID_REQUEST", f"count must be 1..{MAX_CARDS}, got {op.count}")
        if op.face_value_fen not in self._face_values:
            raise SandboxError(
                400, "INVALID_REQUEST", f"no point card with face value {op.face_value_fen} fen"
            )
        expires = add_months(self.now().date(), CARD_VALIDITY_MONTHS)
        cards = []
        for _ in range(op.count):
            self._cards_issued += 1
            serial = f"PC{op.face_value_fen // 100:04d}{self._cards_issued:010d}"
            pin = "".join(secrets.choice("0123456789") for _ in range(16))
            cards.append(IssuedCard(serial, pin, op.face_value_fen, expires))
        return OpRecord(op, self._result(op, cards=tuple(cards))), []

    # ---------------------------------------------------------------- reversal

    def reverse(self, request_id: str, reason: str, *, dedupe: bool = True) -> OpRecord:
        """Undo an applied operation; reversing twice returns the reversed record. With ``dedupe``
        off (an older billing core) a reversal sent again is undone again, and counted."""
        rec = self.record(request_id)
        if rec.result.status == "reversed" and dedupe:
            return rec
        op = rec.operation
        touched: list[Account] = []
        if isinstance(op, IssueCards):
            if rec.redeemed:
                raise SandboxError(
                    422, "REVERSAL_NOT_ALLOWED", f"{len(rec.redeemed)} card(s) already redeemed"
                )
        else:
            account = self.account(op.card_no)
            if account.status == "closed":
                raise SandboxError(422, "REVERSAL_NOT_ALLOWED", f"account {mask(op.card_no)} is closed")
            touched.append(account)
            if isinstance(op, Recharge):
                self._undo_recharge(op, account)
            else:
                self._undo_subscribe(rec, op, account)
        rec.mark_reversed(self.now(), reason)
        self._commit([rec], touched)
        return rec

    @staticmethod
    def _undo_recharge(op: Recharge, account: Account) -> None:
        if account.balance_fen < op.amount_fen:
            raise SandboxError(
                422,
                "REVERSAL_NOT_ALLOWED",
                f"balance {account.balance_fen} fen no longer covers {op.amount_fen}",
            )
        account.balance_fen -= op.amount_fen

    @staticmethod
    def _undo_subscribe(rec: OpRecord, op: Subscribe, account: Account) -> None:
        until = rec.result.valid_until
        assert until is not None  # a subscribe record always carries it
        current = account.entitlements.get(op.product_code)
        if current is None or current == until:
            if rec.previous_valid_until is None:
                account.entitlements.pop(op.product_code, None)
            else:
                account.entitlements[op.product_code] = rec.previous_valid_until
            return
        # extended again since: take off only the days this operation added
        base = rec.result.applied_at.astimezone(CST).date()
        if rec.previous_valid_until is not None:
            base = max(base, rec.previous_valid_until)
        account.entitlements[op.product_code] = current - timedelta(days=(until - base).days)

    # --------------------------------------------------------- other actions

    def refresh(self, card_no: str) -> None:
        """Re-send the entitlements to the set-top box (刷新授权)."""
        self._active(card_no)
        self.refreshes[card_no] += 1

    def spend(self, card_no: str, amount_fen: int) -> Account:
        """Sandbox only: the subscriber uses some balance (monthly fees, pay-per-view)."""
        account = self.account(card_no)
        if not 1 <= amount_fen <= account.balance_fen:
            raise SandboxError(
                422, "INSUFFICIENT_BALANCE", f"cannot spend {amount_fen} of {account.balance_fen} fen"
            )
        account.balance_fen -= amount_fen
        self._commit([], [account])
        return account

    def redeem(self, serial: str, card_no: str) -> Account:
        """Sandbox only: a buyer redeems an issued card onto a smart card."""
        rec = next(
            (r for r in self.records.values() if any(c.serial == serial for c in r.result.cards)), None
        )
        if rec is None:
            raise SandboxError(404, "CARD_UNKNOWN", f"no point card {serial}")
        card = next(c for c in rec.result.cards if c.serial == serial)
        if rec.result.status == "reversed" or serial in rec.redeemed or card.expires_on < self.now().date():
            raise SandboxError(422, "CARD_NOT_REDEEMABLE", f"point card {serial} is void, used or expired")
        account = self._active(card_no)
        account.balance_fen += card.face_value_fen
        rec.redeemed.add(serial)
        self._commit([rec], [account])
        return account

    def amend(self, request_id: str, amount_fen: int) -> OpRecord:
        """Sandbox only: a hand edit in the billing core, a recharge's amount changed after the fact
        (the balance follows)."""
        rec = self.record(request_id)
        op = rec.operation
        if not isinstance(op, Recharge):
            raise SandboxError(422, "NOT_A_RECHARGE", f"operation {request_id} is a {op.kind.value}")
        account = self.account(op.card_no)
        account.balance_fen += amount_fen - op.amount_fen
        rec.operation = replace(op, amount_fen=amount_fen)
        self._commit([rec], [account])
        return rec

    def forget(self, request_id: str) -> OpRecord:
        """Sandbox only: an operation deleted by hand in the billing core (lookups answer 404 and the
        day's listing leaves it out). Not journalled: a restart from the ledger file brings it back."""
        rec = self.record(request_id)
        del self.records[request_id]
        return rec

    def _commit(self, records: Sequence[OpRecord], accounts: Sequence[Account]) -> None:
        if self._journal is not None:
            self._journal(records, accounts)

    def cards_by_role(self, status: str, two_way: bool | None = None) -> list[str]:
        """Card numbers of accounts with ``status`` (and ``two_way``), in seed order."""
        return [
            a.card_no
            for a in self.accounts.values()
            if a.status == status and (two_way is None or a.two_way == two_way)
        ]
