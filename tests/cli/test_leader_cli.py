"""``walkaway leader-check`` as a leader runs it, on a real store."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from walkaway.cli import app
from walkaway.leadership.check import QUESTIONS
from walkaway.service.leadership import latest_checks
from walkaway.store import open_store
from walkaway.store.schema import leadership_checks

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "leader-answers.toml"
ALL_THREES = {q.id: 3 for q in QUESTIONS}


def write_toml(path: Path, answers: Mapping[str, object], by: str | None = None) -> Path:
    head = f'by = "{by}"\n' if by else ""
    body = "".join(f"{key} = {value}\n" for key, value in answers.items())
    path.write_text(head + "[answers]\n" + body, encoding="utf-8")
    return path


def count_checks(db: str) -> int:
    store = open_store(db)
    try:
        with store.connect() as conn:
            query = sa.select(sa.func.count()).select_from(leadership_checks)
            return int(conn.execute(query).scalar_one())
    finally:
        store.close()


def run(runner: CliRunner, *args: str, input: str | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, ["leader-check", *args], input=input)
    return result.exit_code, result.stdout, result.stderr


def test_an_answers_file_prints_the_report_and_saves_it(runner: CliRunner, tmp_path: Path) -> None:
    db = str(tmp_path / "w.db")
    code, out, err = run(runner, "--answers", str(EXAMPLE), "--db", db)
    assert code == 0, err
    assert "Leadership check #1: Ana" in out
    assert "Verdict: FIX OR LEAVE (fix_or_leave), because role concern 59/100" in out
    for heading in ("Strongest warning signs", "Factors to weigh", "Your 90-day plan"):
        assert heading in out
    assert "Weeks 1–2" in out and "Weeks 7–12" in out
    assert "targets rose without resources or market analysis (demands_1: strongly agree)" in out
    assert "First check saved" in out
    store = open_store(db)
    [saved] = latest_checks(store, "Ana")
    store.close()
    assert saved.answers["demands_1"] == 5 and saved.report.role_concern == 59


def test_a_second_check_shows_what_changed(runner: CliRunner, tmp_path: Path) -> None:
    db = str(tmp_path / "w.db")
    assert run(runner, "--answers", str(EXAMPLE), "--db", db)[0] == 0
    text = EXAMPLE.read_text(encoding="utf-8")
    better = tmp_path / "better.toml"
    better.write_text(
        text.replace("demands_1 = 5", "demands_1 = 2").replace("respect_1 = 4", "respect_1 = 2"),
        encoding="utf-8",
    )
    code, out, err = run(runner, "--answers", str(better), "--db", db)
    assert code == 0, err
    assert "Since your check #1 of" in out
    assert "role concern 59 → 53 (-6); verdict fix or leave → fix or leave" in out
    assert "better: unrealistic demands 83 → 58" in out
    assert "no longer a warning sign: targets rose without resources" in out
    assert count_checks(db) == 2


def test_by_overrides_the_file_and_checks_are_compared_per_person(
    runner: CliRunner, tmp_path: Path
) -> None:
    db = str(tmp_path / "w.db")
    assert run(runner, "--answers", str(EXAMPLE), "--db", db)[0] == 0
    code, out, _ = run(runner, "--answers", str(EXAMPLE), "--by", "Bo", "--db", db)
    assert code == 0 and "Leadership check #2: Bo" in out and "First check saved" in out


def test_json_output(runner: CliRunner, tmp_path: Path) -> None:
    db = str(tmp_path / "w.db")
    answers = write_toml(tmp_path / "a.toml", ALL_THREES)
    assert run(runner, "--answers", str(answers), "--by", "Ana", "--db", db)[0] == 0
    code, out, _ = run(
        runner, "--answers", str(EXAMPLE), "--by", "Ana", "--format", "json", "--db", db
    )
    data = json.loads(out)
    assert code == 0 and data["id"] == 2 and data["taken_by"] == "Ana"
    assert data["report"]["verdict"] == "fix_or_leave" and data["report"]["role_concern"] == 59
    assert data["previous"]["id"] == 1
    assert data["change"]["concern_before"] == 50 and data["change"]["delta"] == 9


BAD_FILES = [
    ("missing.toml", "[answers]\nvalues_1 = 4\n", "no answer for question 'values_2'"),
    ("range.toml", None, "answer for question 'values_1' is 9: expected a whole number"),
    ("unknown.toml", None, "unknown question id 'valus_1' (did you mean 'values_1'?)"),
    ("syntax.toml", "[answers\nvalues_1 = 4\n", "not valid TOML"),
    ("syntax.json", '{"answers": {"values_1": 4', "not valid JSON"),
    ("answers.yaml", "answers: {}", "an answers file ends in .toml or .json"),
]


@pytest.mark.parametrize(("name", "text", "message"), BAD_FILES)
def test_a_bad_answers_file_is_one_line_exit_2_and_nothing_saved(
    runner: CliRunner, tmp_path: Path, name: str, text: str | None, message: str
) -> None:
    db = str(tmp_path / "w.db")
    assert run(runner, "--answers", str(EXAMPLE), "--db", db)[0] == 0
    bad = tmp_path / name
    if text is None:
        mistake = {"range.toml": ("values_1 = 2 ", "values_1 = 9 ")}.get(
            name, ("\nvalues_1 = 2 ", "\nvalus_1 = 2 ")
        )
        text = EXAMPLE.read_text(encoding="utf-8").replace(*mistake)
    bad.write_text(text, encoding="utf-8")
    code, out, err = run(runner, "--answers", str(bad), "--db", db)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith(f"error: {bad}")
    assert message in err
    assert count_checks(db) == 1


def test_a_missing_answers_file(runner: CliRunner, tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    code, _, err = run(runner, "--answers", str(tmp_path / "nope.toml"), "--db", str(db))
    assert code == 2 and err == f"error: answers file {tmp_path / 'nope.toml'} not found\n"
    assert not db.exists()


def test_interactive_answers_are_asked_again_when_invalid(
    runner: CliRunner, tmp_path: Path
) -> None:
    db = str(tmp_path / "w.db")
    typed = "7\nfour\n" + "3\n" * len(QUESTIONS)
    code, out, err = run(runner, "--by", "Ana", "--db", db, input=typed)
    assert code == 0, err
    assert "1 never · 2 rarely · 3 sometimes · 4 often · 5 almost always" in out
    assert f"{len(QUESTIONS)}/{len(QUESTIONS)}" in out
    assert "'7' is not an answer; type a number from 1 to 5" in out
    assert "'four' is not an answer" in out
    assert "Verdict: FIX OR LEAVE" in out
    store = open_store(db)
    [saved] = latest_checks(store, "Ana")
    store.close()
    assert saved.answers == ALL_THREES


def test_interactive_json_keeps_stdout_clean(runner: CliRunner, tmp_path: Path) -> None:
    db = str(tmp_path / "w.db")
    typed = "3\n" * len(QUESTIONS)
    code, out, err = run(runner, "--by", "Ana", "--format", "json", "--db", db, input=typed)
    assert code == 0
    # The test runner echoes what was typed onto stdout, as a terminal would on screen;
    # apart from that echo, stdout is the JSON alone: the questions went to stderr.
    echo, document = out[: out.index("{")], out[out.index("{") :]
    assert echo.split() == ["3"] * len(QUESTIONS)
    assert json.loads(document)["answers"] == ALL_THREES
    assert f"1/{len(QUESTIONS)}" in err and "values_1" in err


def test_interrupted_interactive_check_saves_nothing(runner: CliRunner, tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    code, _, _ = run(runner, "--by", "Ana", "--db", str(db), input="3\n3\n")
    assert code != 0
    assert not db.exists()


@pytest.mark.postgres
def test_leader_check_on_postgresql(runner: CliRunner, postgres_url: str) -> None:
    code, out, err = run(runner, "--answers", str(EXAMPLE), "--db", postgres_url)
    assert code == 0, err
    code, out, err = run(runner, "--answers", str(EXAMPLE), "--db", postgres_url)
    assert code == 0 and "role concern 59 → 59 (±0)" in out
    assert count_checks(postgres_url) == 2
