"""``walkaway train`` and ``walkaway model`` on the bundled sample."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from walkaway.cli import app
from walkaway.service import build_demo


def _demo(tmp_path: Path) -> str:
    path = tmp_path / "demo.db"
    store, _ = build_demo(str(path))
    store.close()
    return str(path)


def test_model_before_training_says_the_prior_is_used(runner: CliRunner, tmp_path: Path) -> None:
    db = _demo(tmp_path)
    result = runner.invoke(app, ["model", "--db", db])
    assert result.exit_code == 0
    assert "No model trained yet" in result.stdout and "prior" in result.stdout
    # which qualification facts the team's closed deals confirm, before any training
    assert "Qualification facts" in result.stdout and "confirmed" in result.stdout
    as_json = runner.invoke(app, ["model", "--db", db, "--format", "json"])
    assert as_json.exit_code == 0
    shown = json.loads(as_json.stdout)
    assert shown["trained"] is False
    facts = {(f["field"], f["value"]): f for f in shown["facts"]}
    assert facts[("champion", "yes")]["deals"] > 0 and facts[("champion", "yes")]["verdict"]


def test_train_then_model_prints_the_card(runner: CliRunner, tmp_path: Path) -> None:
    db = _demo(tmp_path)
    trained = runner.invoke(
        app,
        [
            "train",
            "--db",
            db,
            "--until",
            "2026-11-16",
            "--exclude-attribute",
            "industry",
            "--exclude-attribute",
            "lead_source",
        ],
    )
    assert trained.exit_code == 0, trained.output
    assert "verdict" in trained.stdout and "Validation" in trained.stdout
    assert "industry, lead_source — excluded by the user" in trained.stdout
    shown = runner.invoke(app, ["model", "--db", db])
    assert shown.exit_code == 0
    assert "learned from     deals closed before 2026-11-16" in shown.stdout
    card = json.loads(runner.invoke(app, ["model", "--db", db, "--format", "json"]).stdout)
    assert card["trained"] is True and card["learned"] is True and card["kind"] == "stack"
    assert card["won_deals"] + card["lost_deals"] == card["closed_deals"] > 0
    assert len(card["validation"]["calibration"]) == 10
    assert {"auc", "brier", "log_loss", "base_rate"} <= set(card["validation"])
    assert card["verdict"]


def test_a_bad_date_is_one_line_and_exit_2(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["train", "--db", _demo(tmp_path), "--until", "16/11/2026"])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "error: --until '16/11/2026' is not a date; expected 2026-03-01 or 2026-03-01T14:00:00"
    ]
