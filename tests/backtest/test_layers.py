"""The backtest's core does no I/O: no store, service, CLI, plotting or terminal."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "walkaway"
CORE = ("backtest/replay.py", "backtest/metrics.py", "backtest/baselines.py")
FORBIDDEN = (
    "walkaway.store",
    "walkaway.service",
    "walkaway.cli",
    "walkaway.importers",
    "sqlalchemy",
    "typer",
    "rich",
    "matplotlib",
)


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("module", CORE)
def test_backtest_core_is_pure(module: str) -> None:
    imported = _imports(SRC / module)
    bad = {n for n in imported for f in FORBIDDEN if n == f or n.startswith(f + ".")}
    assert not bad, f"{module} imports {sorted(bad)}"
