"""The console's words, in Simplified Chinese by default and in English on request.

Every text a person reads lives in ``messages.toml`` (one table per language,
the same keys in both) or in a template; Python code only names keys. The
reason texts come from ``bridge.core.reasons``, the one catalogue of reason codes.
Times are shown in China Standard Time, money in yuan, card numbers masked.
"""

from __future__ import annotations

import functools
import tomllib
from datetime import datetime, timedelta
from importlib import resources
from typing import Any

from bridge.core.deadlines import left_text
from bridge.core.masking import mask_card
from bridge.core.models import CST
from bridge.core.money import fen_to_yuan
from bridge.core.reasons import reason_text

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"
LANG_COOKIE = "bridge_lang"


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = str(value)
    return flat


@functools.cache
def catalogue() -> dict[str, dict[str, str]]:
    """``{lang: {"section.key": text}}`` read once from the packaged ``messages.toml``."""
    raw = tomllib.loads(resources.files("bridge.web").joinpath("messages.toml").read_text("utf-8"))
    return {lang: _flatten(raw[lang]) for lang in LANGS}


def pick_lang(value: str | None) -> str:
    return value if value in LANGS else DEFAULT_LANG


class _Params(dict[str, object]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


class Translator:
    """``t("nav.queue")`` in templates, plus the formatting every page shares."""

    def __init__(self, lang: str, now: datetime) -> None:
        self.lang = pick_lang(lang)
        self.now = now
        self._texts = catalogue()[self.lang]

    def __call__(self, key: str, **params: object) -> str:
        text = self._texts.get(key)
        if text is None:
            return key
        return text.format_map(_Params(params)) if params else text

    def has(self, key: str) -> bool:
        return key in self._texts

    def reason(self, code: str | None) -> str:
        return reason_text(code, self.lang) if code else ""

    def state(self, state: str | None) -> str:
        return self(f"state.{state}") if state else ""

    def money(self, fen: int | None) -> str:
        return "" if fen is None else f"¥{fen_to_yuan(fen)}"

    def when(self, at: datetime | None, seconds: bool = False) -> str:
        if at is None:
            return "—"
        local = at.astimezone(CST)
        return local.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%m-%d %H:%M")

    def age(self, since: datetime | None) -> str:
        """How long ago, in the largest two units: "2 天 3 小时" / "2 d 3 h"."""
        if since is None:
            return "—"
        total = max(int((self.now - since).total_seconds()), 0)
        days, rest = divmod(total, 86400)
        hours, rest = divmod(rest, 3600)
        minutes = rest // 60
        if days:
            return self("age.days", d=days, h=hours)
        if hours:
            return self("age.hours", h=hours, m=minutes)
        if minutes:
            return self("age.minutes", m=minutes)
        return self("age.now")

    def left(self, left: timedelta) -> str:
        """The time left to a delivery deadline: "剩余 3小时12分", "已超时 25分" (``core.deadlines``)."""
        return left_text(left, english=self.lang == "en")

    @staticmethod
    def card(card_no: str | None) -> str:
        """The last 8 characters of ``mask_card``: the last 4 digits after four stars ("****5678")."""
        return mask_card(card_no)[-8:] if card_no else "—"
