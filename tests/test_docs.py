"""Documentation that fails the build when it falls behind the code."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer.main

from walkaway.cli import app
from walkaway.importers import FORMATS

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _commands() -> list[str]:
    return sorted(getattr(typer.main.get_command(app), "commands", {}))


@pytest.mark.parametrize("name", _commands())
def test_every_command_is_in_the_readme(name: str) -> None:
    assert f"`walkaway {name}" in README, f"README.md does not document `walkaway {name}`"


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_every_import_format_is_in_the_readme(name: str) -> None:
    assert name in README.split("## Importing", 1)[1], f"README.md does not describe {name}"
