"""Configuration and mapping files with every kind of mistake (issue 4 §3), as properties and for real.

``tests/core`` pins each known mistake's message; here any edit at all (a
line dropped, doubled or garbled; a key removed, renamed or given any value)
must end in the project's ``ConfigError`` naming the file, or load: never a
crash with a traceback. And the daemon itself, started on a broken file,
stops with status 2 and one message naming the file and the key.
"""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.core.errors import ConfigError
from bridge.core.mapping import MappingConfigError
from bridge.lab import DEMO_MAPPINGS
from bridge.lab.sandboxes import to_toml
from bridge.services.mappings import load_mapping_set
from bridge.settings import load_settings, settings_from_dict
from bridge.store import MappingDir

ENV = {"BRIDGE_BILLING_SECRET": "b", "BRIDGE_SHOP_APP_SECRET": "a", "BRIDGE_SHOP_SESSION": "s"}
GOOD: dict[str, Any] = {
    "instance": "b1",
    "database": "sqlite+aiosqlite:///x.sqlite",
    "mappings_dir": str(DEMO_MAPPINGS),
    "billing": {"base_url": "http://127.0.0.1:1", "api_key": "k", "timeout_s": 3.0},
    "shops": {"main": {"app_key": "app", "url": "http://127.0.0.1:2/router/rest", "page_size": 50}},
    "polling": {"interval_s": 1.0, "overlap_s": 60},
    "fulfilment": {"max_in_flight": 8, "lease_s": 10.0},
}
_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=20),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


def _paths(config: dict[str, Any], prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for key, value in config.items():
        found.append((*prefix, key))
        if isinstance(value, dict):
            found += _paths(value, (*prefix, key))
    return found


@settings(max_examples=300, deadline=None)
@given(path=st.sampled_from(_paths(GOOD)), action=st.sampled_from(["drop", "set", "misspell"]), value=_VALUES)
def test_any_config_edit_loads_or_is_refused_naming_the_source(
    path: tuple[str, ...], action: str, value: Any
) -> None:
    """Whatever one key becomes, the outcome is Settings or a ConfigError that names the file."""
    config = copy.deepcopy(GOOD)
    parent = config
    for key in path[:-1]:
        parent = parent[key]
    if action == "drop":
        del parent[path[-1]]
    elif action == "set":
        parent[path[-1]] = value
    else:
        parent[path[-1] + "x"] = parent.pop(path[-1])
    try:
        settings_from_dict(config, ENV, source="bridge.toml")
    except ConfigError as exc:
        assert str(exc).startswith("bridge.toml: "), str(exc)


SKUS = (DEMO_MAPPINGS / "skus.toml").read_text(encoding="utf-8").splitlines()
_GARBAGE = st.sampled_from(
    ['units = "three"', "price_fen = -1", "[[sku]]", "product = ", '"', "[sku", "units = 0"]
)


@settings(max_examples=150, deadline=None)
@given(
    where=st.integers(0, len(SKUS) - 1),
    action=st.sampled_from(["drop", "double", "replace", "insert"]),
    garbage=st.one_of(_GARBAGE, st.text(max_size=30)),
)
def test_any_mapping_edit_loads_or_is_refused_naming_file_and_line(
    tmp_path_factory: pytest.TempPathFactory, where: int, action: str, garbage: str
) -> None:
    """One line of skus.toml dropped, doubled or garbled: a mapping set, or every problem located."""
    lines = list(SKUS)
    if action == "drop":
        del lines[where]
    elif action == "double":
        lines.insert(where, lines[where])
    else:
        lines[where : where + (action == "replace")] = [garbage]
    directory = tmp_path_factory.mktemp("maps")
    (directory / "catalogue.toml").write_bytes((DEMO_MAPPINGS / "catalogue.toml").read_bytes())
    (directory / "skus.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    try:
        load_mapping_set(MappingDir(directory))
    except MappingConfigError as exc:
        assert exc.problems
        assert all(p.file.endswith(("skus.toml", "catalogue.toml")) for p in exc.problems), exc.problems


def test_a_config_file_not_in_utf8_is_refused_naming_it(tmp_path: Path) -> None:
    """A file saved as GBK (as some editors do) is a ConfigError naming the file, not a crash."""
    path = tmp_path / "bridge.toml"
    path.write_bytes(to_toml({**GOOD, "instance": "门店一"}).encode("gbk"))
    with pytest.raises(ConfigError, match=r"bridge\.toml.*UTF-8"):
        load_settings(path, ENV)


def test_a_config_path_that_is_a_directory_is_refused_naming_it(tmp_path: Path) -> None:
    """Pointing --config at a folder is a ConfigError naming it, not a crash."""
    with pytest.raises(ConfigError, match=str(tmp_path)):
        load_settings(tmp_path, ENV)


def _broken_mappings(tmp_path: Path) -> Path:
    directory = tmp_path / "maps"
    directory.mkdir()
    (directory / "catalogue.toml").write_bytes((DEMO_MAPPINGS / "catalogue.toml").read_bytes())
    skus = (DEMO_MAPPINGS / "skus.toml").read_text(encoding="utf-8")
    (directory / "skus.toml").write_text(
        skus.replace('product = "RC-0100"', 'prodcut = "RC-0100"', 1), "utf-8"
    )
    return directory


@pytest.mark.parametrize(
    ("mistake", "named"),
    [
        ("unknown-key", "polling.intervall_s: unknown key"),
        # one daemon started in a subprocess is the quick loop's; the loading of the others is
        # pinned in process above, and their daemon runs in the full suite
        pytest.param("not-utf8", "UTF-8", marks=pytest.mark.slow),
        pytest.param("broken-mapping", "skus.toml:", marks=pytest.mark.slow),
    ],
)
def test_the_daemon_refuses_to_start_on_a_broken_file(tmp_path: Path, mistake: str, named: str) -> None:
    """``bridge run`` exits 2 with a message naming the file and the mistake, and no traceback."""
    config: dict[str, Any] = copy.deepcopy(GOOD)
    path = tmp_path / "bridge.toml"
    if mistake == "unknown-key":
        config["polling"]["intervall_s"] = 5
    elif mistake == "broken-mapping":
        config["mappings_dir"] = str(_broken_mappings(tmp_path))
    text = to_toml(config)
    path.write_bytes(text.replace("b1", "门店").encode("gbk") if mistake == "not-utf8" else text.encode())
    proc = subprocess.run(
        [sys.executable, "-m", "bridge.cli", "run", "--config", str(path)],
        env={"PATH": "/usr/bin:/bin", **ENV},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    assert named in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
