"""The team policy: write the commented default, show it, store a team's own."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from walkaway.cli.common import DbOption, app, edge, open_from, out
from walkaway.errors import InputError, NoStore
from walkaway.policy import default_policy_text, read_policy_text
from walkaway.service import save_policy, stored_policy_text

policy_app = typer.Typer(help="The team policy: stages, limits, thresholds, costs, rules.")
app.add_typer(policy_app, name="policy")


@policy_app.command("init")
@edge
def policy_init(
    out_file: Annotated[
        Path, typer.Option("--out", help="Where to write the commented default policy.")
    ] = Path("walkaway-policy.toml"),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write the fully commented default policy to a TOML file to edit."""
    if out_file.exists() and not force:
        raise InputError(f"{out_file} already exists; pass --force to overwrite it")
    out_file.write_text(default_policy_text(), encoding="utf-8")
    out.print(f"Wrote {out_file}. Edit it, then: walkaway policy set {out_file}", highlight=False)


@policy_app.command("show")
@edge
def policy_show(db: DbOption = None) -> None:
    """Print the policy in force for this database (the default when none was set)."""
    try:
        text = stored_policy_text(open_from(db))
    except NoStore:  # no store yet: the default is in force
        text = None
    if text is None:
        sys.stdout.write("# No team policy stored: this is the default.\n" + default_policy_text())
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")


@policy_app.command("set")
@edge
def policy_set(
    file: Annotated[Path, typer.Argument(help="A policy TOML file (see `walkaway policy init`).")],
    db: DbOption = None,
) -> None:
    """Check a policy file and make it this database's policy."""
    if not file.is_file():
        raise InputError(f"{file}: file not found (expected a policy TOML file)")
    save_policy(open_from(db, create=True), read_policy_text(file))
    out.print(f"Policy from {file} is now in force.", highlight=False)
