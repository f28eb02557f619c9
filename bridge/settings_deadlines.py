"""The delivery deadlines' settings: ``[deadlines]`` for every shop, ``[shops.NAME.deadlines]`` for one.

Each key is a storefront's deadline from payment (``taobao_s``, ``pinduoduo_s``, ``api_s`` for the
order API's channel clients) or the
escalation margin (``margin_s``); a shop's key left unset follows the table's. The
platforms' published rules and why these defaults: docs/storefronts/deadlines.md.
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field

from bridge.core.deadlines import DeadlineRule

__all__ = ["DeadlineSettings", "ShopDeadlineSettings", "resolve_rule"]

_FROZEN = ConfigDict(extra="forbid", frozen=True)
_DAY_S = 86400.0


class DeadlineSettings(BaseModel):
    """Delivery deadlines from payment, per storefront, and how long before one a line is escalated."""

    model_config = _FROZEN
    taobao_s: float = Field(_DAY_S, gt=0, le=30 * _DAY_S)
    pinduoduo_s: float = Field(_DAY_S, gt=0, le=30 * _DAY_S)
    api_s: float = Field(_DAY_S, gt=0, le=30 * _DAY_S)  # the order API's channel clients
    margin_s: float = Field(7200.0, ge=0, le=30 * _DAY_S)
    interval_s: float = Field(30.0, gt=0, le=3600)  # how often lines are held against their deadlines


class ShopDeadlineSettings(BaseModel):
    """One shop's own deadlines: the keys of ``[deadlines]``; a key left unset follows that table."""

    model_config = _FROZEN
    taobao_s: float | None = Field(None, gt=0, le=30 * _DAY_S)
    pinduoduo_s: float | None = Field(None, gt=0, le=30 * _DAY_S)
    api_s: float | None = Field(None, gt=0, le=30 * _DAY_S)
    margin_s: float | None = Field(None, ge=0, le=30 * _DAY_S)


def resolve_rule(table: DeadlineSettings, own: ShopDeadlineSettings, storefront: str) -> DeadlineRule:
    """The deadline in force for a shop on ``storefront``: its own key where set, else the table's."""
    key = f"{storefront}_s"
    deadline: float | None = getattr(own, key)
    margin = own.margin_s
    return DeadlineRule(
        storefront=storefront,
        deadline=timedelta(seconds=getattr(table, key) if deadline is None else deadline),
        margin=timedelta(seconds=table.margin_s if margin is None else margin),
    )
