"""The layout shows the pipeline, and its layers point one way (import-linter contracts)."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "walkaway"
PIPELINE = ("signals", "flags", "learning", "decision", "journal", "backtest", "leadership")


def test_every_contract_is_kept() -> None:
    linter = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert linter, "import-linter is part of the test dependencies"
    done = subprocess.run([linter], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = len(config["tool"]["importlinter"]["contracts"])
    assert f"{contracts} kept, 0 broken" in done.stdout


@pytest.mark.parametrize("package", PIPELINE)
def test_each_stage_is_a_package_saying_what_it_owns_and_may_import(package: str) -> None:
    face = PACKAGE / package / "__init__.py"
    assert face.is_file(), f"walkaway/{package}/ is a package"
    doc = ast.get_docstring(ast.parse(face.read_text(encoding="utf-8")))
    assert doc and "May import:" in doc, f"walkaway.{package}'s docstring says what it may import"


@pytest.mark.parametrize("folder", [PACKAGE, *(PACKAGE / p for p in PIPELINE)])
def test_no_module_carries_its_group_as_a_prefix(folder: Path) -> None:
    """`learning/model.py`, not `learning_model.py` beside `learning.py` (STYLE.md)."""
    names = {p.stem for p in folder.glob("*.py")} | {
        p.name for p in folder.iterdir() if (p / "__init__.py").is_file()
    }
    prefixed = sorted(
        n for n in names if (m := re.match(r"([a-z]+)_", n)) and m.group(1) in names - {n}
    )
    assert not prefixed, f"{folder.relative_to(ROOT)}: {prefixed} belong in a package"
    if folder.name in PIPELINE:
        assert not [n for n in names if n.startswith(f"{folder.name}_")]
