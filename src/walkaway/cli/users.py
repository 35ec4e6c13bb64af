"""``walkaway user``: people who sign in to the dashboard in team mode, and API tokens."""

from __future__ import annotations

import getpass
import sys
from contextlib import closing
from enum import StrEnum
from typing import Annotated

import typer

from walkaway.cli.common import DbOption, app, edge, err, open_from, out
from walkaway.errors import InputError
from walkaway.service.users import (
    add_user,
    deactivate_user,
    issue_token,
    list_users,
    remove_user,
)

user_app = typer.Typer(help="Team mode: users (rep or manager) and their API tokens.")
app.add_typer(user_app, name="user")


class RoleChoice(StrEnum):
    rep = "rep"
    manager = "manager"


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise InputError("no terminal to ask the password on; pipe it in with --password-stdin")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != first:
        raise InputError("the two passwords differ; run the command again")
    return first


@user_app.command("add")
@edge
def user_add(
    name: Annotated[str, typer.Argument(help="The name to sign in with.")],
    role: Annotated[RoleChoice, typer.Option("--role", help="rep or manager.")],
    rep_name: Annotated[
        str | None,
        typer.Option("--rep-name", help="A rep's name as deal owner in the CRM (default: NAME)."),
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    db: DbOption = None,
) -> None:
    """Add a user; the password is asked (or read with --password-stdin) and kept hashed."""
    password = _read_password(password_stdin)
    with closing(open_from(db, create=True)) as store:
        user = add_user(store, name, role.value, password, rep_name)
    sees = f"the deals owned by {user.rep_name}" if user.rep_name and role == "rep" else "all deals"
    out.print(f"Added {user.name} ({user.role.value}): sees {sees}.", highlight=False)


@user_app.command("token")
@edge
def user_token(
    name: Annotated[str, typer.Argument(help="The user the token acts for.")],
    db: DbOption = None,
) -> None:
    """Make an API token (Authorization: Bearer TOKEN); it is shown once, kept hashed."""
    with closing(open_from(db)) as store:
        token = issue_token(store, name)
    sys.stdout.write(token + "\n")
    err.print("Keep it secret: it acts as this user. It is shown only now.", style="dim")


@user_app.command("list")
@edge
def user_list(db: DbOption = None) -> None:
    """The users, their role and the deal owner a rep answers for."""
    with closing(open_from(db)) as store:
        users = list_users(store)
    for user, active in users:
        owner = f" (owner: {user.rep_name})" if user.rep_name else ""
        state = "" if active else ", deactivated"
        out.print(f"{user.name}: {user.role.value}{owner}{state}", highlight=False, markup=False)


@user_app.command("deactivate")
@edge
def user_deactivate(
    name: Annotated[str, typer.Argument(help="The user whose sign-in ends.")],
    db: DbOption = None,
) -> None:
    """End a user's sign-in now: every session and API token of theirs stops working.
    The name stays taken; the journal keeps their decisions."""
    with closing(open_from(db)) as store:
        ended = deactivate_user(store, name)
    out.print(f"Deactivated {name.strip()}: signed out everywhere, {ended} token(s) ended.")


@user_app.command("remove")
@edge
def user_remove(
    name: Annotated[str, typer.Argument(help="The user to remove.")],
    db: DbOption = None,
) -> None:
    """Remove a user: every session and API token of theirs stops working at once; the
    journal keeps their decisions under their name."""
    with closing(open_from(db)) as store:
        ended = remove_user(store, name)
    out.print(f"Removed {name.strip()}: signed out everywhere, {ended} token(s) ended.")
