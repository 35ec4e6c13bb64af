"""Every journal command on a store built from the real BPI Challenge 2012 funnel."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from tests.conftest import IN_CI, SHARED_DATA
from walkaway.cli import app
from walkaway.store import open_store
from walkaway.store.schema import deals

pytestmark = pytest.mark.shared


@pytest.fixture(scope="module")
def bpi_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = SHARED_DATA / "bpi2012"
    if not folder.is_dir():
        if IN_CI:
            pytest.fail(f"{folder} is required under CI=true")
        pytest.skip(f"{folder} is not beside the project")
    db = str(tmp_path_factory.mktemp("bpi") / "bpi.db")
    result = CliRunner().invoke(
        app,
        ["import", str(folder / "deals.csv"), "--activities", str(folder / "activities.csv"),
         "--db", db],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return db


def run_json(*args: str) -> Any:
    result = CliRunner().invoke(app, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _first(db: str, outcome: str, reason: str | None = None) -> str:
    store = open_store(db)
    try:
        query = sa.select(deals.c.deal_id).where(deals.c.outcome == outcome)
        if reason:
            query = query.where(deals.c.loss_reason == reason)
        with store.connect() as conn:
            return str(conn.execute(query.order_by(deals.c.created_at).limit(1)).scalar())
    finally:
        store.close()


def test_loss_review_of_a_cancelled_application(bpi_db: str) -> None:
    deal_id = _first(bpi_db, "lost", "cancelled")
    data = run_json("loss-review", deal_id, "--db", bpi_db)
    assert data["deal"]["deal_id"] == deal_id and data["deal"]["loss_reason"] == "cancelled"
    assert len(data["timeline"]) >= 2 and data["questions"]
    assert data["move_on_by"] > data["deal"]["lost_at"][:10]


def test_team_loss_review(bpi_db: str) -> None:
    data = run_json("loss-review", "--team", "--db", bpi_db)
    assert data["lost_deals"] == 7247 and 0 < data["cuts"] <= 60
    assert data["turned"] > 0 and data["by_stage"] and data["indicators"]


def test_decide_journal_and_due(bpi_db: str, tmp_path: Path) -> None:
    deal_id = _first(bpi_db, "open")
    runner = CliRunner()
    done = runner.invoke(
        app,
        ["decide", deal_id, "requalify", "--reason", "No answer to the offer",
         "--as-of", "2012-03-01", "--db", bpi_db],
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    noted = runner.invoke(
        app, ["outcome", deal_id, "no_decision", "--on", "2012-03-20", "--db", bpi_db]
    )
    assert noted.exit_code == 0, noted.output
    due = run_json("due", "--on", "2012-03-16", "--db", bpi_db)
    item = next(i for i in due["due"] if i["deal_id"] == deal_id)
    assert item["kind"] == "requalify_deadline"
    assert item["message"] or item["requalify_status"] == "met"
    journal = run_json("journal", "--as-of", "2012-04-01", "--db", bpi_db)
    entry = next(e for e in journal["entries"] if e["deal_id"] == deal_id)
    assert entry["fate"] == "lost" and entry["outcome_after"] == "no_decision"
