"""`walkaway serve` refuses to open the dashboard without sign-in; `walkaway user`."""

from __future__ import annotations

import gc
import warnings
from pathlib import Path

from typer.testing import CliRunner

from walkaway.cli import app
from walkaway.service.users import check_password, user_for_token
from walkaway.store import open_store


def invoke(runner: CliRunner, *args: str, stdin: str | None = None) -> object:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        result = runner.invoke(app, list(args), input=stdin)
        gc.collect()
    return result


def test_serve_without_auth_refuses_another_host(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["serve", "--host", "0.0.0.0", "--db", str(tmp_path / "x.db")])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "--auth" in lines[0] and "0.0.0.0" in lines[0]


def test_user_add_and_token(runner: CliRunner, store_url: str) -> None:
    added = invoke(
        runner, "user", "add", "anna", "--role", "rep", "--rep-name", "Anna Keller",
        "--password-stdin", "--db", store_url, stdin="a long password\n",
    )  # fmt: skip
    assert added.exit_code == 0, added.output  # type: ignore[attr-defined]
    assert "Anna Keller" in added.output  # type: ignore[attr-defined]
    token = invoke(runner, "user", "token", "anna", "--db", store_url)
    assert token.exit_code == 0  # type: ignore[attr-defined]
    issued = token.stdout.strip().splitlines()[0]  # type: ignore[attr-defined]
    again = invoke(
        runner, "user", "add", "anna", "--role", "manager", "--password-stdin",
        "--db", store_url, stdin="another password\n",
    )  # fmt: skip
    assert again.exit_code == 2 and "already exists" in again.output  # type: ignore[attr-defined]
    short = invoke(
        runner, "user", "add", "bo", "--role", "manager", "--password-stdin", "--db", store_url,
        stdin="short\n",
    )  # fmt: skip
    assert short.exit_code == 2 and "too short" in short.output  # type: ignore[attr-defined]
    store = open_store(store_url)
    user = check_password(store, "anna", "a long password")
    assert user is not None and user.rep_name == "Anna Keller"
    assert user_for_token(store, issued) == user
    store.close()
