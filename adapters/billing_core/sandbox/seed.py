"""What the sandbox starts with: its product catalogue and a deterministic subscriber base.

The catalogue is the billing core's own, shipped inside this package as
``catalogue.toml``: one ``[[products]]`` table per product, in the very shape
``GET /v1/products`` answers (read with the sandbox's ``wire.ProductAnswer``).
It is deliberately not the bridge's mapping catalogue: the two describe the
same 43 products, and ``bridge mappings check`` against the sandbox shows
where they drift apart. Subscribers are generated from a seed, so a demo, a
test and a benchmark that use the same seed see the same households: 16-digit
smart cards starting with 8371, subscriber ids, Henan region codes, balances,
and a share of them already holding channel entitlements.
"""

from __future__ import annotations

import random
import tomllib
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from pydantic import ConfigDict, ValidationError

from adapters.billing_core.sandbox.records import Account
from adapters.billing_core.sandbox.wire import ProductAnswer, describe
from bridge.core.errors import ConfigError
from bridge.core.models import Product, ProductKind

DEFAULT_CATALOGUE = Path(__file__).resolve().with_name("catalogue.toml")
"""The catalogue shipped with the sandbox (package data, present in an installed wheel too)."""
CARD_PREFIX = "8371"
DEFAULT_SEED = 20261124

# Prefecture-level divisions of Henan (行政区划代码), where the service halls are.
_REGIONS = (
    "410100", "410200", "410300", "410400", "410500", "410600", "410700", "410800", "410900",
    "411000", "411100", "411200", "411300", "411400", "411500", "411600", "411700", "419001",
)  # fmt: skip  # nine codes a line, not one


class _Listed(ProductAnswer):
    """A product as the catalogue file lists it: the answer's shape, misspelt keys refused."""

    model_config = ConfigDict(extra="forbid")


def load_catalogue(path: Path = DEFAULT_CATALOGUE) -> list[Product]:
    """The ``[[products]]`` tables of a catalogue file as domain products."""
    try:
        with path.open("rb") as fh:
            raw = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the catalogue ({exc})") from None
    entries = raw.get("products")
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"{path}: no [[products]] tables")
    products = []
    for index, entry in enumerate(entries):
        try:
            products.append(_Listed.model_validate(entry).to_domain())
        except ValidationError as exc:
            raise ConfigError(f"{path}: product #{index + 1}: {describe(exc)}") from None
    return products


@dataclass(frozen=True)
class Population:
    """How many subscribers of each sort the sandbox seeds."""

    active_two_way: int = 2000
    active_one_way: int = 300
    suspended: int = 50
    closed: int = 50


def seed_accounts(seed: int, population: Population, products: list[Product], today: date) -> list[Account]:
    """Deterministic accounts for ``seed``: same seed and ``today``, same households."""
    rng = random.Random(seed)
    sorts = (
        [("active", True)] * population.active_two_way
        + [("active", False)] * population.active_one_way
        + [("suspended", None)] * population.suspended
        + [("closed", None)] * population.closed
    )
    rng.shuffle(sorts)
    channels = [p for p in products if p.kind is ProductKind.CHANNEL]
    cards = rng.sample(range(10**12), len(sorts))
    accounts = []
    for number, ((status, two_way), card) in enumerate(zip(sorts, cards, strict=True), start=1):
        two_way = rng.random() < 0.7 if two_way is None else two_way
        accounts.append(
            Account(
                card_no=f"{CARD_PREFIX}{card:012d}",
                subscriber_id=f"S{number:07d}",
                status=status,
                two_way=two_way,
                region=rng.choice(_REGIONS),
                balance_fen=_balance(rng),
                entitlements=_entitlements(rng, channels, two_way, today),
            )
        )
    return accounts


def _balance(rng: random.Random) -> int:
    """Most households keep a few months' fees; some are at zero, a few hold a lot."""
    roll = rng.random()
    if roll < 0.15:
        return 0
    if roll < 0.9:
        return rng.randrange(100, 20_000)
    return rng.randrange(20_000, 300_000)


def _entitlements(rng: random.Random, channels: list[Product], two_way: bool, today: date) -> dict[str, date]:
    """About a third hold one to three channels, some lapsed, most running."""
    if not channels or rng.random() >= 0.35:
        return {}
    allowed = [p for p in channels if two_way or not p.requires_two_way]
    chosen = rng.sample(allowed, k=min(len(allowed), rng.randint(1, 3)))
    return {p.product_code: today + timedelta(days=rng.randint(-60, 330)) for p in chosen}
