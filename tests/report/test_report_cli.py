"""``walkaway report`` as a user runs it: the file, the one-line summary, the exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.report.conftest import AS_OF
from walkaway.cli import app
from walkaway.sample import SAMPLE_AS_OF
from walkaway.service.review import review
from walkaway.store import open_store


def test_writes_the_page(demo_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "review.html"
    args = [
        "report",
        "--db",
        str(demo_path),
        "--as-of",
        SAMPLE_AS_OF.isoformat(),
        "--out",
        str(out),
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"Wrote {out}: 60 open deals as of 2026-11-16")
    store = open_store(f"sqlite:///{demo_path}")
    calls = review(store, AS_OF).deals["recommendation"]
    store.close()
    walk_aways = int((calls == "walk_away").sum())
    assert walk_aways > 0 and f"{walk_aways} walk-away candidates" in result.stdout
    page = out.read_text(encoding="utf-8")
    assert "Pipeline review as of 16 November 2026" in page


def test_one_rep(demo_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "jonas.html"
    result = CliRunner().invoke(
        app,
        [
            "report",
            "--db",
            str(demo_path),
            "--as-of",
            "2026-11-16",
            "-o",
            str(out),
            "--owner",
            "Jonas Berg",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "9 open deals" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--as-of", "last week"], "error: --as-of 'last week' is not a date"),
        (["--out", "no/such/folder/review.html"], "error: cannot write the report to"),
    ],
)
def test_bad_input_is_one_line_exit_2(
    demo_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["report", "--db", str(demo_path), *args])
    assert result.exit_code == 2
    assert result.stderr.startswith(message) and result.stderr.count("\n") == 1
    assert not (tmp_path / "review.html").exists()
