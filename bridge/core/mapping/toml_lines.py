"""Line numbers for a TOML text: tomllib gives values but never says where they were.

An admin fixes a mapping mistake by going to a line, so every problem the
mapping check reports names one. This module scans the text once and records
the line of each top-level key, of each ``[[array]]`` table header and of each
key inside those tables, so ``sku[12].product`` can be turned into "line 57".

It runs on hand-edited mapping files, so a small line scanner is enough: it
understands comments, quoted and dotted keys, and multi-line strings (whose
inner lines are skipped). Pure: text in, line numbers out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_ARRAY_HEADER = re.compile(r"\[\[\s*([A-Za-z0-9_-]+)\s*\]\]")
_TABLE_HEADER = re.compile(r"\[\s*([A-Za-z0-9_-]+)")
_KEY = re.compile(r"""(?:"([^"]*)"|'([^']*)'|([A-Za-z0-9_-]+))\s*[.=]""")
_MULTILINE_QUOTES = ('"""', "'''")


@dataclass(frozen=True)
class TableLines:
    """Where one table is: the line of its header and of each key inside it."""

    header: int
    keys: dict[str, int] = field(default_factory=dict)

    def line_of(self, key: str) -> int:
        """The line of ``key`` in this table, or the header's line when it is absent."""
        return self.keys.get(key, self.header)


@dataclass(frozen=True)
class Layout:
    """Where everything is in one TOML text (1-based line numbers)."""

    top: dict[str, int] = field(default_factory=dict)
    arrays: dict[str, list[TableLines]] = field(default_factory=dict)
    repeated_keys: list[tuple[str, int, int]] = field(default_factory=list)
    """``(key, first line, repeated line)`` for a key written twice in one table."""
    unclosed_string: list[int] = field(default_factory=list)
    """The line of a multi-line string still open at the end of the text."""

    def table(self, name: str, index: int) -> TableLines:
        """The ``index``-th (0-based) ``[[name]]`` table, or a stand-in at the key's line."""
        entries = self.arrays.get(name, [])
        if 0 <= index < len(entries):
            return entries[index]
        return TableLines(self.top.get(name, 1))


def scan(text: str) -> Layout:
    """Record the line of every header and key in ``text`` (see the module docstring)."""
    layout = Layout()
    current: TableLines | None = None
    open_quote: str | None = None
    opened_at = 0
    for number, raw in enumerate(text.split("\n"), start=1):
        if open_quote is not None:
            if raw.count(open_quote) % 2 == 1:
                open_quote = None
            continue
        line = raw.strip()
        if line.startswith("["):
            current = _header(line, number, layout)
            continue
        key = _key(line)
        if key is None:
            continue
        keys = current.keys if current is not None else layout.top
        if key in keys:
            layout.repeated_keys.append((key, keys[key], number))
        else:
            keys[key] = number
        open_quote = next((q for q in _MULTILINE_QUOTES if raw.count(q) % 2 == 1), None)
        opened_at = number
    if open_quote is not None:
        layout.unclosed_string.append(opened_at)
    return layout


def _header(line: str, number: int, layout: Layout) -> TableLines:
    """Handle a ``[[name]]`` or ``[name]`` header line; return the table its keys go into.

    Keys of a plain ``[name]`` table go into a table that is not kept: the
    mapping files have none, and the header's own line is what gets reported.
    """
    array = _ARRAY_HEADER.match(line)
    if array is not None:
        name = array.group(1)
        layout.top.setdefault(name, number)
        entry = TableLines(number)
        layout.arrays.setdefault(name, []).append(entry)
        return entry
    table = _TABLE_HEADER.match(line)
    if table is not None:
        layout.top.setdefault(table.group(1), number)
    return TableLines(number)


def _key(line: str) -> str | None:
    """The (first part of the) key a ``key = value`` line sets, or None for other lines."""
    if not line or line.startswith("#"):
        return None
    match = _KEY.match(line)
    if match is None:
        return None
    return next(group for group in match.groups() if group is not None)
