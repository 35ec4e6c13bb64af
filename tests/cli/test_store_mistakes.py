"""The mistakes people make with a store: a mistyped --db, a folder with none, a demo
rebuilt over decisions, a read-only database, a rejects file that cannot be written, a
port already taken. Each is one line and exit 2, and leaves nothing behind."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.csvfiles import deals_csv
from walkaway.cli import app

DEALS = [
    "D1,Acme rollout,Acme,Ana,Proposal,12000,2026-01-05,,open",
    "D2,Beta pilot,Beta,Ben,Demo,5000,2026-02-01,,open",
]
BAD_ROW = "D3,Gamma,Gamma,Ana,Demo,lots,2026-02-01,,open"
MISSING = "import a file first, or `walkaway demo`"

READING_COMMANDS = [
    ["review"],
    ["deals"],
    ["show", "D1"],
    ["message", "D1"],
    ["journal"],
    ["due"],
    ["decide", "D1", "pursue", "--reason", "why not"],
    ["outcome", "D1", "won"],
    ["report", "--out", "review.html"],
    ["model"],
    ["user", "list"],
    ["loss-review", "--team"],
]


def _one_line_exit_2(result: object) -> str:
    assert getattr(result, "exit_code", None) == 2
    stderr = str(getattr(result, "stderr", ""))
    assert stderr.count("\n") == 1 and "Traceback" not in stderr
    return stderr


def _imported(runner: CliRunner, folder: Path, name: str = "walkaway-demo.db") -> Path:
    db = folder / name
    result = runner.invoke(app, ["import", str(deals_csv(folder, DEALS)), "--db", str(db)])
    assert result.exit_code == 0, result.output
    return db


@pytest.mark.parametrize("args", READING_COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_a_mistyped_store_is_refused_and_nothing_is_created(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, [*args, "--db", "walkaway-dmeo.db"])
    line = _one_line_exit_2(result)
    assert line == f"error: no Walkaway store at walkaway-dmeo.db: {MISSING}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_policy_show_without_a_store_shows_the_default_and_creates_none(
    runner: CliRunner, tmp_path: Path
) -> None:
    result = runner.invoke(app, ["policy", "show", "--db", str(tmp_path / "new.db")])
    assert result.exit_code == 0 and result.stdout.startswith("# No team policy stored")
    assert list(tmp_path.iterdir()) == []


def test_a_plain_review_in_a_new_folder_says_what_to_do(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("WALKAWAY_DB", raising=False)
    result = runner.invoke(app, ["review"])
    assert _one_line_exit_2(result) == f"error: no Walkaway store at walkaway.db: {MISSING}\n"
    assert list(tmp_path.iterdir()) == []


def test_a_typo_names_the_store_it_was_close_to(runner: CliRunner, tmp_path: Path) -> None:
    _imported(runner, tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    result = runner.invoke(app, ["review", "--db", str(tmp_path / "walkaway-dmeo.db")])
    line = _one_line_exit_2(result)
    assert f"(did you mean {tmp_path / 'walkaway-demo.db'}?)" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_an_empty_file_is_no_store_and_another_database_is_left_untouched(
    runner: CliRunner, tmp_path: Path
) -> None:
    import sqlite3

    empty = tmp_path / "empty.db"
    empty.touch()
    assert MISSING in _one_line_exit_2(runner.invoke(app, ["deals", "--db", str(empty)]))
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("create table notes (text)")
    line = _one_line_exit_2(runner.invoke(app, ["deals", "--db", str(other)]))
    assert "it holds no Walkaway tables" in line
    with sqlite3.connect(other) as conn:
        tables = [r[0] for r in conn.execute("select name from sqlite_master")]
    assert tables == ["notes"]


def test_a_first_import_that_is_refused_leaves_no_store(runner: CliRunner, tmp_path: Path) -> None:
    db = tmp_path / "team.db"
    bad = deals_csv(tmp_path, [*DEALS, BAD_ROW])
    result = runner.invoke(app, ["import", str(bad), "--db", str(db)])
    assert result.exit_code == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deals.csv"]


def test_a_refused_import_into_a_store_keeps_the_store(runner: CliRunner, tmp_path: Path) -> None:
    db = _imported(runner, tmp_path, "team.db")
    bad = deals_csv(tmp_path, [*DEALS, BAD_ROW], name="more.csv")
    assert runner.invoke(app, ["import", str(bad), "--db", str(db)]).exit_code == 2
    listed = runner.invoke(app, ["deals", "--db", str(db), "--format", "csv"])
    assert listed.exit_code == 0 and listed.stdout.count("\n") == 3


def test_rejects_go_beside_the_store_not_the_input(runner: CliRunner, tmp_path: Path) -> None:
    inbox, home = tmp_path / "someone-elses", tmp_path / "team"
    inbox.mkdir()
    home.mkdir()
    bad = deals_csv(inbox, [*DEALS, BAD_ROW])
    result = runner.invoke(
        app, ["import", str(bad), "--db", str(home / "team.db"), "--skip-invalid"]
    )
    assert result.exit_code == 0, result.output
    assert (home / "deals-rejects.csv").is_file()
    assert sorted(p.name for p in inbox.iterdir()) == ["deals.csv"]
    assert f"rejected rows and their reasons: {home / 'deals-rejects.csv'}" in result.stdout


@pytest.mark.parametrize(
    ("target", "said"),
    [("in-a-file/rejects.csv", "cannot write the rejected rows"), ("/dev/full", "No space")],
)
def test_rejects_that_cannot_be_written_are_one_line_and_nothing_lands(
    runner: CliRunner, tmp_path: Path, target: str, said: str
) -> None:
    db = _imported(runner, tmp_path, "team.db")
    (tmp_path / "in-a-file").write_text("a file, not a folder")
    rejects = target if target.startswith("/") else str(tmp_path / target)
    bad = deals_csv(tmp_path, ["D9,New,New,Ana,Demo,10,2026-02-01,,open", BAD_ROW], name="b.csv")
    args = ["import", str(bad), "--db", str(db), "--skip-invalid", "--rejects", rejects]
    line = _one_line_exit_2(runner.invoke(app, args))
    assert said in line and "nothing was imported" in line
    listed = runner.invoke(app, ["deals", "--db", str(db), "--format", "csv"])
    assert "D9" not in listed.stdout


def test_a_read_only_store_is_one_line(runner: CliRunner, tmp_path: Path) -> None:
    db = _imported(runner, tmp_path, "team.db")
    read_only = f"sqlite:///file:{db}?mode=ro&uri=true"
    decided = runner.invoke(
        app, ["decide", "D1", "pursue", "--reason", "still keen", "--db", read_only]
    )
    assert "is read-only" in _one_line_exit_2(decided)
    more = deals_csv(tmp_path, ["D5,Echo,Echo,Ana,Demo,10,2026-02-01,,open"], name="more.csv")
    imported = runner.invoke(app, ["import", str(more), "--db", read_only])
    assert "is read-only" in _one_line_exit_2(imported)
    assert runner.invoke(app, ["deals", "--db", read_only]).exit_code == 0


def test_serve_refuses_a_port_in_use_before_announcing(runner: CliRunner, tmp_path: Path) -> None:
    db = _imported(runner, tmp_path, "team.db")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = runner.invoke(app, ["serve", "--db", str(db), "--port", str(port)])
    line = _one_line_exit_2(result)
    assert f"cannot serve on 127.0.0.1:{port}" in line and "--port" in line
    assert "Walkaway on" not in result.stdout


def test_serve_refuses_a_store_that_is_not_there(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["serve", "--db", str(tmp_path / "nope.db")])
    assert MISSING in _one_line_exit_2(result)
    assert list(tmp_path.iterdir()) == []


def test_the_demo_keeps_the_decisions_recorded_on_it_unless_forced(
    runner: CliRunner, tmp_path: Path
) -> None:
    from walkaway.service import build_demo, decisions_recorded

    db = str(tmp_path / "walkaway-demo.db")
    build_demo(db)[0].close()
    decided = runner.invoke(
        app, ["decide", "D-2020", "walk_away", "--reason", "margin", "--db", db]
    )
    assert decided.exit_code == 0, decided.output
    line = _one_line_exit_2(runner.invoke(app, ["demo", "--db", db]))
    assert "holds 1 decision(s) recorded on the demo" in line and "--force" in line
    assert decisions_recorded(db) == 1
    rebuilt = runner.invoke(app, ["demo", "--db", db, "--force"])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert decisions_recorded(db) == 0
