"""The command line: parsing and printing only. Use cases live in ``walkaway.service``.

Each module registers its commands on the one Typer ``app`` (in ``walkaway.cli.common``).
Importing every module costs a third of a second that a one-deal ``walkaway show`` should
not pay, so ``main`` imports only the module of the command named on the line; help, an
unknown name or ``from walkaway.cli import app`` load them all.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from walkaway.cli.common import app

__all__ = ["COMMAND_MODULES", "app", "load", "main"]

# The module that registers each top-level command (tests/test_cli.py checks it is whole).
COMMAND_MODULES: dict[str, str] = {
    "import": "pipeline",
    "deals": "pipeline",
    "demo": "pipeline",
    "policy": "policy",
    "review": "review",
    "show": "review",
    "message": "review",
    "train": "model",
    "model": "model",
    "backtest": "backtest",
    "decide": "journal",
    "outcome": "journal",
    "journal": "journal",
    "due": "journal",
    "loss-review": "loss_review",
    "leader-check": "leader",
    "report": "report",
    "serve": "web",
    "user": "users",
    "digest": "digest",
    "forecast": "forecast",
    "insights": "insights",
    "spark": "spark",
    "sync": "crm",
    "push": "crm",
}


def load(modules: Sequence[str] | None = None) -> Any:
    """Register the commands of ``modules`` (default: all) and return the Typer app."""
    for module in sorted(set(COMMAND_MODULES.values())) if modules is None else modules:
        importlib.import_module(f"walkaway.cli.{module}")
    from walkaway.cli.common import app as typer_app

    return typer_app


def __getattr__(name: str) -> Any:
    if name == "app":
        return load()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``walkaway`` command."""
    args = sys.argv[1:] if argv is None else list(argv)
    module = COMMAND_MODULES.get(args[0]) if args else None
    load(None if module is None else [module])(args=args, prog_name="walkaway")
