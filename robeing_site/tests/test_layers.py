"""The layering contract in pyproject.toml (import-linter) holds, and fails
when an app imports one above it."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Every package the contract names, as pyproject.toml lists them: a new app
# joins the copy without this test being edited.
PACKAGES = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"][
    "root_packages"
]


def lint_imports(tree: Path) -> subprocess.CompletedProcess:
    linter = Path(sys.executable).with_name("lint-imports")
    return subprocess.run(
        [str(linter), "--no-cache"], cwd=tree, capture_output=True, text=True, timeout=120
    )


def a_copy_of_the_code(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    ignore = shutil.ignore_patterns("__pycache__", "migrations")
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tree / package, ignore=ignore)
    shutil.copy(ROOT / "pyproject.toml", tree)
    return tree


def test_every_app_imports_only_the_layers_below_it():
    result = lint_imports(ROOT)

    assert result.returncode == 0, result.stdout
    assert "1 kept, 0 broken" in result.stdout


def test_an_import_of_a_higher_app_breaks_the_contract(tmp_path):
    tree = a_copy_of_the_code(tmp_path)
    selectors = tree / "conversations" / "selectors.py"
    selectors.write_text(selectors.read_text() + "\nfrom stats import selectors as _upward\n")

    result = lint_imports(tree)

    assert result.returncode != 0
    assert "conversations.selectors -> stats.selectors" in result.stdout
