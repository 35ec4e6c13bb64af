"""The text output at 80 columns, in a pipe and in a terminal, as a person reads it.

The review runs as a real process: once with every standard stream a pipe (no terminal
anywhere, so the width is the default 80 columns) and once on a pseudo-terminal 80 (and
160) columns wide. Every call is spelled out, no line is wider than the screen, and the
top reason of every deal is there in full (wrapped at words). The other lists run
in-process at the width $COLUMNS gives; ``--wide`` keeps each row whole on one line.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from typing import Any

import pytest
from rich.cells import cell_len
from typer.testing import CliRunner

from walkaway.cli import app
from walkaway.flags.rulebook import flag_title
from walkaway.sample import SAMPLE_AS_OF
from walkaway.wording import percent_text

AS_OF = SAMPLE_AS_OF.isoformat()
CALLS = {"pursue": "Pursue", "requalify": "Re-qualify", "walk_away": "Walk away"}
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
WIDTH = 80


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"COLUMNS", "LINES"}}
    env["TERM"] = "xterm-256color"
    return env


def _command(*args: str) -> list[str]:
    return [sys.executable, "-m", "walkaway", *args]


def in_a_pipe(*args: str) -> str:
    """The command's stdout with stdin, stdout and stderr all pipes (no terminal)."""
    done = subprocess.run(
        _command(*args),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=_env(),
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def in_a_terminal(*args: str, columns: int = WIDTH) -> str:
    """What the command shows on a terminal ``columns`` wide (colours taken out)."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    process = subprocess.Popen(
        _command(*args), stdin=follower, stdout=follower, stderr=follower, env=_env()
    )
    os.close(follower)
    chunks = []
    with contextlib.suppress(OSError):  # EIO once the command has closed the terminal
        while chunk := os.read(leader, 65536):
            chunks.append(chunk)
    os.close(leader)
    assert process.wait(timeout=60) == 0
    return ANSI.sub("", b"".join(chunks).decode()).replace("\r\n", "\n")


def words(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The sample, with a walk-away that came back and a missed re-qualify deadline."""
    db = str(tmp_path_factory.mktemp("width") / "demo.db")
    runner = CliRunner()
    steps = [
        ["demo", "--db", db],
        ["decide", "D-2021", "walk_away", "--reason", "No budget this year, said the CFO "
         "on our last call, and none is planned for next year either", "--as-of",
         "2026-11-02", "--db", db],
        ["outcome", "D-2021", "came_back", "--on", "2026-11-12", "--db", db],
        ["decide", "D-2007", "requalify", "--reason", "Need the economic buyer",
         "--as-of", "2026-11-02", "--by", "Manager", "--db", db],
    ]  # fmt: skip
    for step in steps:
        result = runner.invoke(app, step)
        assert result.exit_code == 0, result.output
    return db


@pytest.fixture(scope="module")
def deals(demo_db: str) -> list[dict[str, Any]]:
    done = CliRunner().invoke(
        app, ["review", "--db", demo_db, "--as-of", AS_OF, "--format", "json"]
    )
    data = json.loads(done.stdout)
    found: list[dict[str, Any]] = data["deals"]
    return found


def assert_fits(text: str, columns: int = WIDTH) -> None:
    too_wide = [line for line in text.splitlines() if cell_len(line) > columns]
    assert not too_wide, f"{len(too_wide)} lines wider than {columns}: {too_wide[:3]}"


def assert_every_call_spelled_out(text: str, deals: list[dict[str, Any]]) -> None:
    lines = {line.split(" ", 1)[0]: line for line in text.splitlines() if line.startswith("D-")}
    for deal in deals:
        line = lines[deal["deal_id"]]
        assert CALLS[deal["recommendation"]] in line, line
        assert percent_text(deal["win_probability"]) in line, line
        assert words(deal["reasons"][0]) in words(text), deal["reasons"][0]


@pytest.mark.parametrize("where", ["pipe", "terminal"])
def test_the_review_at_80_columns_spells_out_every_call(
    where: str, demo_db: str, deals: list[dict[str, Any]]
) -> None:
    show = in_a_pipe if where == "pipe" else in_a_terminal
    text = show("review", "--db", demo_db, "--as-of", AS_OF)
    assert_fits(text)
    assert_every_call_spelled_out(text, deals)


def at_width(columns: int, *args: str) -> str:
    """The command run in-process, its console told the width by $COLUMNS (as a shell
    tells it); for the commands whose width does not come from a terminal."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COLUMNS", str(columns))
        done = CliRunner().invoke(app, list(args))
    assert done.exit_code == 0, done.output
    return done.stdout


def test_the_wide_review_keeps_every_row_whole(demo_db: str, deals: list[dict[str, Any]]) -> None:
    text = at_width(WIDTH, "review", "--db", demo_db, "--as-of", AS_OF, "--wide")
    rows = {line.split("│")[1].strip(): line for line in text.splitlines() if "│ D-" in line}
    for deal in deals:
        row = rows[deal["deal_id"]]
        for whole in (deal["name"], deal["owner"], deal["stage"], deal["reasons"][0]):
            assert whole in row
        assert CALLS[deal["recommendation"]] in row
    assert "…" not in text


def test_deals_at_80_columns_and_wide(demo_db: str) -> None:
    done = CliRunner().invoke(
        app, ["deals", "--db", demo_db, "--outcome", "open", "--format", "json"]
    )
    listed = json.loads(done.stdout)
    text = at_width(WIDTH, "deals", "--db", demo_db, "--outcome", "open")
    assert_fits(text)
    lines = {line.split(" ", 1)[0]: line for line in text.splitlines() if line.startswith("D-")}
    assert set(lines) == {deal["deal_id"] for deal in listed}
    for deal in listed:
        assert deal["owner"] in lines[deal["deal_id"]] and deal["stage"] in lines[deal["deal_id"]]
    wide = at_width(WIDTH, "deals", "--db", demo_db, "--outcome", "open", "--wide")
    for deal in listed:
        assert deal["name"] in wide and f"{deal['activity_count']} │" in wide


def test_journal_and_due_at_80_columns_and_wide(demo_db: str) -> None:
    journal = at_width(WIDTH, "journal", "--db", demo_db, "--as-of", AS_OF)
    assert_fits(journal)
    assert "Walk away" in journal and "Re-qualify" in journal
    assert "No budget this year, said the CFO on our last call" in words(journal)
    assert "since: came back" in journal and "1 decision;" in journal
    wide = at_width(WIDTH, "journal", "--db", demo_db, "--as-of", AS_OF, "--wide")
    row = next(line for line in wide.splitlines() if "D-2021" in line)
    assert "none is planned for next year either" in row and "came back" in row
    due = at_width(WIDTH, "due", "--db", demo_db, "--on", AS_OF)
    assert_fits(due)
    assert "re-qualify deadline today (no answer yet)" in due and "Kessler" in due
    wide_due = at_width(WIDTH, "due", "--db", demo_db, "--on", AS_OF, "--wide")
    row = next(line for line in wide_due.splitlines() if "D-2007" in line)
    assert "re-qualify deadline today (no answer yet)" in row and "Need the economic buyer" in row


def test_show_fits_80_columns(demo_db: str, deals: list[dict[str, Any]]) -> None:
    deal = deals[0]
    text = at_width(WIDTH, "show", deal["deal_id"], "--db", demo_db, "--as-of", AS_OF)
    assert CALLS[deal["recommendation"]].upper() in text and f"as of {AS_OF}" in text
    head = "\n".join(text.splitlines()[:12])  # the panel and the reasons; tables wrap cells
    assert_fits(head)


def test_a_wider_terminal_gives_the_names_room(demo_db: str, deals: list[dict[str, Any]]) -> None:
    text = in_a_terminal("review", "--db", demo_db, "--as-of", AS_OF, columns=160)
    assert_fits(text, 160)
    for deal in deals:
        assert f"{deal['deal_id']} {deal['name']}" in text


def test_the_team_loss_review_at_80_columns_keeps_every_title_whole(demo_db: str) -> None:
    data = json.loads(at_width(WIDTH, "loss-review", "--team", "--db", demo_db, "--format", "json"))
    text = at_width(WIDTH, "loss-review", "--team", "--db", demo_db)
    assert_fits("\n".join(line for line in text.splitlines() if "│" in line or "┃" in line))
    rows = [line.split("│")[1].strip() for line in text.splitlines() if line.startswith("│")]
    titles = {flag_title(row["code"]) for row in data["indicators"] + data["by_flag"]}
    titles |= {row["stage"] for row in data["by_stage"]}
    assert titles and titles <= set(rows), titles - set(rows)
    assert "…" not in text


def test_one_loss_review_at_80_columns_says_each_moment_and_call_whole(demo_db: str) -> None:
    data = json.loads(at_width(WIDTH, "loss-review", "D-1001", "--db", demo_db, "--format", "json"))
    text = at_width(WIDTH, "loss-review", "D-1001", "--db", demo_db)
    calls = {row["recommendation"] for row in data["timeline"]}
    assert "requalify" in calls, "the sample's D-1001 was re-qualified on the way"
    rows = [line for line in text.splitlines() if line.startswith("│ 20")]
    assert rows and all(re.match(r"│ \d{4}-\d\d-\d\d \d\d:\d\d ", line) for line in rows)
    assert "Re-qualify" in text and "requalify" not in text
