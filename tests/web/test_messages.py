"""The console's catalogue: both languages complete, every key the templates name exists;
and the one card mask as the pages show it."""

from __future__ import annotations

import ast
import re
from importlib import resources

import pytest

from bridge.core.masking import mask_card
from bridge.web.i18n import Translator, catalogue

_LITERAL_KEY = re.compile(r"""\bt\(\s*'([a-z_]+\.[A-Za-z0-9_.]+)'\s*[,)]""")


def test_chinese_and_english_have_the_same_keys() -> None:
    """A text added in one language is added in the other."""
    texts = catalogue()
    assert set(texts["zh"]) == set(texts["en"])


def test_every_literal_key_in_the_templates_exists() -> None:
    """No template shows a raw key to a person."""
    folder = resources.files("bridge.web").joinpath("templates")
    used = {
        key
        for entry in folder.iterdir()
        if entry.name.endswith(".html")
        for key in _LITERAL_KEY.findall(entry.read_text("utf-8"))
    }
    assert used and used <= set(catalogue()["zh"])


def _constants(node: ast.expr) -> list[str]:
    """The strings an expression can be: a constant or either arm of an if-else."""
    if isinstance(node, ast.IfExp):
        return _constants(node.body) + _constants(node.orelse)
    return [node.value] if isinstance(node, ast.Constant) and isinstance(node.value, str) else []


def _outcome_codes(source: str) -> set[str]:
    """Every code ``Outcome(status, code, ...)`` is given in ``source``, directly or via ``code = ...``."""
    codes: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Outcome" and len(node.args) > 1:
            codes.update(_constants(node.args[1]))
        elif isinstance(node, ast.Assign) and [getattr(t, "id", "") for t in node.targets] == ["code"]:
            codes.update(_constants(node.value))
    return codes


def test_every_outcome_code_of_the_actions_has_a_text() -> None:
    """Whatever an action answers, the console can say it in words."""
    codes = _outcome_codes(resources.files("bridge.services").joinpath("cs_actions.py").read_text("utf-8"))
    assert codes and {f"outcome.{c}" for c in codes} <= set(catalogue()["zh"])


@pytest.mark.parametrize("card_no", ["8371000012345678", "837100001234", "12345678", "12345"])
def test_pages_show_a_card_as_the_tail_of_mask_card(card_no: str) -> None:
    """A page shows the last 8 characters of ``mask_card``'s text: ``****5678`` for a whole number."""
    assert Translator.card(card_no) == mask_card(card_no)[-8:]
    assert Translator.card("8371000012345678") == "****5678"
