"""The command line: parsing and printing only. Use cases live in ``walkaway.service``.

Each module registers its commands on the one Typer ``app``.
"""

from walkaway.cli import (
    backtest,
    journal,
    leader,
    loss_review,
    model,
    pipeline,
    policy,
    report,
    review,
    users,
    web,
)
from walkaway.cli.app import app

__all__ = [
    "app",
    "backtest",
    "journal",
    "leader",
    "loss_review",
    "main",
    "model",
    "pipeline",
    "policy",
    "report",
    "review",
    "users",
    "web",
]


def main() -> None:
    """Entry point of the ``walkaway`` command."""
    app()
