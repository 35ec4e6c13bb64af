"""The layout shows the pipeline, and its layers point one way (import-linter contracts)."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
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


# The only imports inside a function, each with its reason; every other import sits at
# the top of its module, a heavy library named there through walkaway.lazy.module.
FUNCTION_IMPORTS = {
    ("walkaway.cli", "walkaway.cli.common"): "the CLI's lazy point: load() imports the "
    "command modules named on the line, which register on the app, then returns it",
    ("walkaway.spark.session", "pyspark.sql"): "PySpark is optional: without it, one line "
    "saying how to install it (an ImportError caught where the import is)",
    ("walkaway.store.bulk_read", "connectorx"): "optional, and only in the child process "
    "that reads for the parent: without it, the child says so and the parent reads itself",
}


def _function_imports(tree: ast.AST) -> Iterator[str]:
    """The modules imported inside a function of ``tree`` (not under TYPE_CHECKING)."""

    def walk(node: ast.AST, in_function: bool) -> Iterator[str]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                yield from walk(ast.Module(body=child.orelse, type_ignores=[]), in_function)
                continue
            if in_function and isinstance(child, ast.Import):
                yield from (alias.name for alias in child.names)
            elif in_function and isinstance(child, ast.ImportFrom):
                yield child.module or ""
            functions = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
            yield from walk(child, in_function or isinstance(child, functions))

    yield from walk(tree, False)


def test_imports_sit_at_the_top_of_their_module_but_the_listed_ones() -> None:
    """One lazy point (walkaway.lazy), not imports scattered in functions."""
    found = set()
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found |= {(module, imported) for imported in _function_imports(tree)}
    assert found == set(FUNCTION_IMPORTS)
