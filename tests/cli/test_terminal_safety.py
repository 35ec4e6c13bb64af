"""Text from data never drives the terminal: every command, fed a pipeline whose names,
accounts, owners, reasons and notes hold terminal escapes, prints them escaped.

The commands are read from the app: one that is neither run here nor set aside with
its reason fails the test the day it is added.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
import typer
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from walkaway.cli import app
from walkaway.cli.terminal import SafeConsole, json_bytes, json_text, visible
from walkaway.sample import SAMPLE_AS_OF
from walkaway.service import sample_files

# Clear the screen, retitle the window, ring the bell; an 8-bit CSI; a right-to-left
# override; a backspace.
HOSTILE = "\x1b[2J\x1b]0;pwned\x07\x9b31m\u202e\x08"
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# What JSON leaves as it is but a terminal may act on: DEL, C1, the bidirectional
# overrides and isolates; and, beside them, text that must come out as it is (NBSP and the
# pound sign start as C1 does in UTF-8, the euro sign and the em dash as the overrides do).
JSON_HOSTILE = [chr(c) for c in (0x7F, 0x80, 0x9B, 0x9F, 0x202A, 0x202E, 0x2066, 0x2069)]
JSON_CLEAN = ["a", "\x7e", "\xa0", "\xa3", "\xe9", "\u20ac", "\u2014", "\u2029", "\u202f", "\u2065"]
AS_OF = SAMPLE_AS_OF.isoformat()
# Commands not run here, and why.
SET_ASIDE = {
    "serve": "runs a server; the web edge escapes by its templates (tests/web)",
    "spark": "needs Java; prints through the same consoles",
    "sync": "needs a CRM; prints through the same consoles",
    "push": "needs a CRM; prints through the same consoles",
    "backtest": "minutes on a pipeline; prints through the same consoles",
    "leader-check": "asks questions; holds no imported data",
    "demo": "builds the bundled sample, no hostile data",
}


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def _hostile_pipeline(folder: Path) -> tuple[Path, Path]:
    deals_csv, activities_csv = sample_files()
    deals = _rows(deals_csv)
    for deal in deals:
        deal["name"] = f"{deal['deal_id']} {HOSTILE}"
        deal["account"] = f"Acme {HOSTILE}"
        deal["owner"] = f"{deal['owner']} {HOSTILE}"
        if deal["loss_reason"]:
            deal["loss_reason"] = f"went dark {HOSTILE}"
    activities = _rows(activities_csv)
    for activity in activities:
        activity["subject"] = f"Re: {HOSTILE}"
    paths = folder / "deals.csv", folder / "activities.csv"
    for path, rows in zip(paths, (deals, activities), strict=True):
        with path.open("w", encoding="utf-8", newline="") as file:
            writer = csv.DictWriter(file, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    return paths


def _raw(text: str) -> list[str]:
    return sorted({repr(c) for c in RAW.findall(text)})


@pytest.fixture
def hostile_db(tmp_path: Path, runner: CliRunner) -> tuple[str, dict[str, str]]:
    db = str(tmp_path / "hostile.db")
    deals, activities = _hostile_pipeline(tmp_path)
    done = runner.invoke(app, ["import", str(deals), "--activities", str(activities), "--db", db])
    assert done.exit_code == 0, done.output
    rows = _rows(deals)
    ids = {
        "open": next(r["deal_id"] for r in rows if r["outcome"] == "open"),
        "lost": next(r["deal_id"] for r in rows if r["outcome"] == "lost"),
    }
    return db, ids


def _runs(db: str, ids: dict[str, str], folder: Path) -> dict[str, list[list[str]]]:
    open_id, lost_id = ids["open"], ids["lost"]
    bad_header = folder / "bad.csv"
    bad_header.write_text(f"deal_id,name{HOSTILE}\nD-1,x\n", encoding="utf-8")
    bad_policy = folder / "policy.toml"
    bad_policy.write_text(f'currency = "EUR"\n[{HOSTILE}]\n', encoding="utf-8")
    when = ["--as-of", AS_OF, "--db", db]
    return {
        "review": [["review", *when], ["review", *when, "--format", "json"]],
        "show": [
            ["show", open_id, *when],
            ["show", open_id, *when, "--format", "json"],
            ["show", f"NOPE{HOSTILE}", *when],
        ],
        "message": [["message", open_id, *when]],
        "deals": [["deals", "--db", db], ["deals", "--db", db, "--format", "json"]],
        "decide": [["decide", open_id, "walk_away", "--reason", f"gone {HOSTILE}", *when]],
        "outcome": [["outcome", open_id, "lost", "--note", HOSTILE, "--db", db]],
        "journal": [["journal", *when], ["journal", *when, "--format", "json"]],
        "due": [["due", *when]],
        "forecast": [["forecast", *when], ["forecast", *when, "--format", "json"]],
        "insights": [["insights", *when], ["insights", *when, "--format", "json"]],
        "digest": [["digest", *when], ["digest", *when, "--out", str(folder / "digests")]],
        "loss-review": [["loss-review", lost_id, "--db", db]],
        "train": [["train", *when]],
        "model": [["model", "--db", db]],
        "import": [["import", str(bad_header), "--db", db]],
        "report": [["report", *when, "--out", str(folder / "report.html")]],
        "policy": [["policy", "set", str(bad_policy), "--db", db]],
        "user": [
            ["user", "add", f"eve{HOSTILE}", "--role", "rep", "--password-stdin", "--db", db],
            ["user", "list", "--db", db],
        ],
    }


def test_every_command_is_run_with_hostile_data_or_set_aside_with_its_reason(
    tmp_path: Path,
) -> None:
    commands = set(getattr(typer.main.get_command(app), "commands", {}))
    runs = _runs("x.db", {"open": "D-1", "lost": "D-2"}, tmp_path)
    assert commands == set(runs) | set(SET_ASIDE)


def test_no_command_lets_data_drive_the_terminal(
    hostile_db: tuple[str, dict[str, str]], runner: CliRunner, tmp_path: Path
) -> None:
    db, ids = hostile_db
    shown_escaped = 0
    for name, calls in _runs(db, ids, tmp_path).items():
        for args in calls:
            result = runner.invoke(app, args, input="a long enough password\n")
            assert result.exit_code in {0, 2}, (args, result.output[-500:])
            for stream in (result.stdout, result.stderr):
                assert not _raw(stream), (name, args, _raw(stream))
            shown_escaped += "\\x1b[2J" in result.output or "\\u001b[2J" in result.output
    assert shown_escaped >= 15  # the names are there, escaped, not dropped


def test_review_json_writes_hostile_text_escaped_and_meaning_the_same(
    hostile_db: tuple[str, dict[str, str]], runner: CliRunner
) -> None:
    db, ids = hostile_db
    reason = f"gone {''.join(JSON_HOSTILE)} {''.join(JSON_CLEAN)}"
    when = ["--as-of", AS_OF, "--db", db]
    decided = runner.invoke(app, ["decide", ids["open"], "walk_away", "--reason", reason, *when])
    assert decided.exit_code == 0, decided.output
    result = runner.invoke(app, ["review", *when, "--format", "json"])
    assert result.exit_code == 0, result.output[-500:]
    assert not _raw(result.stdout)
    escaped = "".join(f"\\u{ord(c):04x}" for c in JSON_HOSTILE)
    assert escaped in result.stdout and "".join(JSON_CLEAN) in result.stdout
    deals = {deal["deal_id"]: deal for deal in json.loads(result.stdout)["deals"]}
    assert deals[ids["open"]]["human_reason"] == reason
    assert all(deal["name"] == f"{deal['deal_id']} {HOSTILE}" for deal in deals.values())


@given(st.text(st.sampled_from([*JSON_HOSTILE, *JSON_CLEAN, '"', "\\", "\x1b"])))
def test_json_bytes_escapes_as_json_text_does(text: str) -> None:
    data = {"n": text}
    guarded = json_bytes(json.dumps(data, ensure_ascii=False).encode())
    assert guarded == json_text(data, ensure_ascii=False).encode()
    assert json.loads(guarded) == data and not _raw(guarded.decode())


def test_visible_escapes_controls_and_keeps_text() -> None:
    assert visible("Anna\x1b[2J\tKeller\n\x9b\u202e") == "Anna\\x1b[2J\tKeller\n\\x9b\\u202e"
    assert visible("山田太郎 – Café 🙂") == "山田太郎 – Café 🙂"
    assert json_text({"n": "\x1b\x9b"}, ensure_ascii=False) == '{"n": "\\u001b\\u009b"}'


def test_the_consoles_keep_their_own_colours(tmp_path: Path) -> None:
    path = tmp_path / "out.txt"
    with path.open("w", encoding="utf-8") as file:
        console = SafeConsole(file=file, force_terminal=True, color_system="standard")
        console.print(f"[red]{HOSTILE}[/red]", highlight=False)
    written = path.read_text(encoding="utf-8")
    assert "\x1b[31m" in written  # rich's red
    assert "\x1b[2J" not in written and "\\x1b[2J" in written and "\x9b" not in written
