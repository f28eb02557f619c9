"""The Protocol the services record what they do through (``bridge.metrics`` implements it).

Counts and durations only, labelled with fixed words (an operation or method
name, an outcome from ``bridge.core.outcomes``): never a card number, a tid or
a request_id. The figures that describe the shared store (lines by state,
exceptions, watermarks) are not recorded here: they are read from the store
when scraped.
"""

from __future__ import annotations

from typing import Protocol


class MetricsPort(Protocol):
    def billing_call(self, operation: str, outcome: str, seconds: float) -> None:
        """One call to the billing core (``apply``, ``find`` …) took ``seconds`` and ended so."""
        ...

    def marketplace_call(self, method: str, outcome: str) -> None:
        """One call to the marketplace (``get_trade``, ``mark_delivered`` …) ended so."""
        ...

    def delivered(self, seconds: float) -> None:
        """A trade was marked delivered ``seconds`` after its buyer paid."""
        ...

    def messages_consumed(self, count: int) -> None:
        """One consume of the marketplace's messages handed out ``count`` messages."""
        ...

    def messages_confirmed(self, count: int) -> None:
        """``count`` messages were confirmed (their trades stored, or nothing to do)."""
        ...

    def job_failed(self, job: str, kind: str) -> None:
        """A scheduled job ended on a failure: a store error's code (``STORE_READ_ONLY`` …) or ``error``."""
        ...

    def rows_archived(self, kind: str, count: int) -> None:
        """``count`` rows of ``kind`` (``events``, ``audit``) moved from the hot table to the archive."""
        ...

    def deadline_missed(self, storefront: str) -> None:
        """A line of ``storefront`` was found past its delivery deadline undelivered (once a line)."""
        ...

    def callback_attempt(self, outcome: str) -> None:
        """One try of a channel's callback ended so: ``acknowledged``, ``refused`` (a status other than
        2xx) or ``no_answer``."""
        ...
