"""The console's catalogue: both languages complete, every key the templates name exists."""

from __future__ import annotations

import ast
import re
from importlib import resources

from bridge.web.i18n import catalogue

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
