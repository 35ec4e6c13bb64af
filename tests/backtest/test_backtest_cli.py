"""``walkaway backtest`` as a user runs it, on the bundled sample."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from walkaway.cli import app
from walkaway.service import build_demo, open_store

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("backtest") / "demo.db"
    store, _ = build_demo(str(path))
    store.close()
    return str(path)


def test_text_report_and_files(demo_db: str, tmp_path: Path) -> None:
    out = tmp_path / "report"
    result = CliRunner().invoke(
        app,
        [
            "backtest",
            "--db",
            demo_db,
            "--from",
            "2026-03-01",
            "--to",
            "2026-09-01",
            "--every",
            "4w",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "Backtest, 7 cut(s) 2026-03-01 to 2026-08-16, pooled" in text
    for word in ("Walkaway", "Never", "Idle", "Stage p", "precision", "Walkaway at each cut"):
        assert word in text
    assert "2026-08-16" in text
    for name in ("calibration.png", "precision_effort.png", "tradeoff.png"):
        assert (out / name).read_bytes().startswith(PNG)
    page = (out / "report.html").read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") == 3  # calibration, precision, trade-off
    assert "http://" not in page and "https://" not in page  # nothing to fetch
    assert "<script" not in page
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert len(metrics["cuts"]) == 7 and set(metrics["pooled"]) == {
        "model",
        "never",
        "idle",
        "stage",
    }


def test_json_output(demo_db: str) -> None:
    result = CliRunner().invoke(
        app,
        [
            "backtest",
            "--db",
            demo_db,
            "--from",
            "2026-05-01",
            "--to",
            "2026-06-01",
            "--every",
            "2w",
            "--idle-days",
            "10",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["cuts"] == ["2026-05-01T00:00:00", "2026-05-15T00:00:00", "2026-05-29T00:00:00"]
    assert data["labels"]["idle"] == "Idle > 10 days"
    model = data["pooled"]["model"]
    assert model["open_deals"] >= model["evaluated"] > 0
    assert 0.0 <= model["auc"] <= 1.0 and 0.0 <= model["brier"] <= 1.0
    assert {row["method"] for row in data["calibration"]} == {"model", "never", "stage"}


def test_default_range_is_the_last_six_months(demo_db: str) -> None:
    result = CliRunner().invoke(
        app, ["backtest", "--db", demo_db, "--every", "13w", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    cuts = json.loads(result.stdout)["cuts"]
    # The sample's last activity is on 2026-11-13; six months before that day:
    assert cuts == ["2026-05-13T00:00:00", "2026-08-12T00:00:00", "2026-11-11T00:00:00"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2026-09-01", "--to", "2026-03-01"], "error: --from 2026-09-01 is after --to"),
        (["--every", "3x"], "error: --every '3x' is not an interval"),
        (["--every", "0d"], "error: --every '0d' is not an interval"),
        (["--from", "someday"], "error: --from 'someday' is not a date"),
        (["--from", "2025-01-01", "--to", "2025-03-01"], "error: no deal had closed before"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(demo_db: str, args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, ["backtest", "--db", demo_db, *args])
    assert result.exit_code == 2
    assert result.stderr.startswith(message) and result.stderr.count("\n") == 1


def test_an_empty_store_is_refused(tmp_path: Path) -> None:
    open_store(str(tmp_path / "empty.db")).close()
    result = CliRunner().invoke(app, ["backtest", "--db", str(tmp_path / "empty.db")])
    assert result.exit_code == 2
    assert "holds no deals" in result.stderr
