"""A wheel of the project works outside the checkout: the demo runs on the installed package alone.

The wheel is built from a clean copy of what it packages (so no ``build/``
left in the checkout can slip stale files into it), installed with
``pip --target`` into a folder of its own, and run with this interpreter, that
folder first on ``PYTHONPATH`` and a temporary directory as the working
directory. The venv's editable install of the checkout stays in place but
loses: its finder sits at the end of ``sys.meta_path``, after the path-based
finder that looks in ``PYTHONPATH`` first. The first test proves it, every
module and data file resolving inside the installed folder; a file missing
from the wheel would then fail the demo rather than be read from the checkout.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from setuptools import find_namespace_packages

ROOT = Path(__file__).resolve().parents[2]
_WHERE = """
import json, adapters, bridge, bridge.cli.commands as cli, bridge.lab.sandboxes as lab, bridge.web as web
import bridge.api as api
from adapters.billing_core.sandbox import DEFAULT_CATALOGUE
paths = [adapters.__file__, bridge.__file__, cli.DEMO_MAPPINGS / "skus.toml",
         lab.DEMO_MAPPINGS / "catalogue.toml", DEFAULT_CATALOGUE, web.__file__,
         __import__("pathlib").Path(api.__file__).parent / "openapi.json"]
print(json.dumps([str(p) for p in paths] + [all(__import__("pathlib").Path(p).is_file() for p in paths)]))
"""

pytestmark = pytest.mark.timeout(300)  # a wheel build, an install and a demo: ~10 s, more on a busy machine


def _run(args: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=240, check=False, **kw)  # type: ignore[call-overload, no-any-return]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's wheel, built and installed into a folder outside the checkout."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    skip = shutil.ignore_patterns("__pycache__", "*.pyc", "history")
    for folder in ("bridge", "adapters", "mappings"):  # mappings/: the example mapping files
        shutil.copytree(ROOT / folder, source / folder, ignore=skip)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input", "-q"]
    built = _run([*pip, "wheel", str(source), "--no-deps", "--no-build-isolation", "-w", str(work / "dist")])
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = (work / "dist").glob("storefront_bridge-*.whl")
    site = work / "site"
    done = _run([*pip, "install", "--no-deps", "--no-compile", "--target", str(site), str(wheel)])
    assert done.returncode == 0, done.stdout + done.stderr
    return site


def test_every_package_folder_is_listed_for_the_wheel() -> None:
    """pyproject lists the packages by hand (mappings/ is mapped in as one): a new folder is listed too."""
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    found = find_namespace_packages(str(ROOT), include=["bridge*", "adapters*"], exclude=["*__pycache__"])
    assert sorted(setuptools["packages"]) == sorted([*found, *setuptools["package-dir"]])
    assert setuptools["package-dir"] == {"bridge.lab.mappings": "mappings"}


def _outside(installed: Path, tmp_path: Path) -> dict[str, object]:
    """Working directory and environment of a process that sees the installed wheel, not the checkout."""
    (tmp_path / "tmp").mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "BRIDGE_"))}
    env |= {"PYTHONPATH": str(installed), "TMPDIR": str(tmp_path / "tmp"), "PYTHONDONTWRITEBYTECODE": "1"}
    return {"cwd": tmp_path, "env": env}


@pytest.mark.slow  # a wheel built and installed: the full suite only, not the quick loop
def test_modules_and_data_come_from_the_installed_wheel(installed: Path, tmp_path: Path) -> None:
    """bridge, adapters, every data file the demo reads and the API's OpenAPI document resolve inside the
    install folder."""
    run = _run([sys.executable, "-c", _WHERE], **_outside(installed, tmp_path))
    assert run.returncode == 0, run.stderr
    *paths, all_exist = json.loads(run.stdout)
    assert all_exist is True
    assert [p for p in paths if not Path(p).is_relative_to(installed)] == []


@pytest.mark.slow  # a wheel built and installed, a demo run: the full suite only, not the quick loop
# SQLite only: the wheel's files are what is under test; the demo on PostgreSQL runs in tests/cli/test_cli.py
@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_the_demo_runs_from_the_wheel(installed: Path, tmp_path: Path, database: str) -> None:
    """``bridge demo`` on the installed package: 50 orders, none provisioned twice, none lost."""
    args = [
        "-m",
        "bridge.cli",
        "demo",
        "--orders",
        "50",
        "--exit-when-done",
        "--json",
        "--database",
        database,
    ]
    run = _run([sys.executable, *args], **_outside(installed, tmp_path))
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    report = json.loads(run.stdout.strip().splitlines()[-1])
    assert (report["orders"], report["duplicates"], report["lost"]) == (50, 0, 0)
    assert Path(report["workdir"]).is_relative_to(tmp_path)
