"""The command line: parsing and printing only. Use cases live in ``walkaway.service``.

Each module registers its commands on the one Typer ``app``.
"""

from walkaway.cli import leader, pipeline, policy, review
from walkaway.cli.app import app

__all__ = ["app", "leader", "main", "pipeline", "policy", "review"]


def main() -> None:
    """Entry point of the ``walkaway`` command."""
    app()
