"""What wins here, from a closed history whose numbers are known: no open deal needed."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from tests.core.core_factories import AS_OF, build_pipeline
from tests.service.changes_story import history
from walkaway.cli import app
from walkaway.service import import_files
from walkaway.service.insights import insights, insights_json, turn_headline, wilson
from walkaway.store import Store


@pytest.fixture
def closed_only(store: Store, tmp_path: Path) -> Store:
    """Forty closed deals, three in five won, every one through proposal; only the wins
    reached negotiation. Lead source: the wins from referrals but every fifth."""
    deals, acts = history()
    for index, deal in enumerate(deals):
        source = "referral" if deal["outcome"] == "won" and index % 5 else "outbound"
        deal["attributes"] = json.dumps({"lead_source": source, "crm_id": f"X{index}"})
    pipeline = build_pipeline(deals, acts)
    deals_csv, acts_csv = tmp_path / "deals.csv", tmp_path / "activities.csv"
    flat = pipeline.deals.with_columns(
        pl.col("attributes").str.json_path_match("$.lead_source").alias("lead_source"),
        pl.col("attributes").str.json_path_match("$.crm_id").alias("crm_id"),
    )
    flat.drop("attributes", "manual_probability").write_csv(deals_csv)
    pipeline.activities.write_csv(acts_csv)
    import_files(store, deals_csv, acts_csv, format="generic")
    return store


def test_wilson_interval() -> None:
    frame = pl.DataFrame({"won": [5.0, 0.0, 0.0], "deals": [10.0, 10.0, 0.0]})
    low, high = wilson(pl.col("won"), pl.col("deals"))
    bounds = frame.select(low.alias("low"), high.alias("high")).rows()
    assert bounds[0] == pytest.approx((0.2366, 0.7634), abs=1e-4)
    assert bounds[1][0] == pytest.approx(0.0, abs=1e-12) and bounds[1][1] == pytest.approx(
        0.2775, abs=1e-4
    )
    assert bounds[2] == (0.0, 1.0)


def test_win_rates_funnel_and_facts_from_a_closed_history(closed_only: Store) -> None:
    found = insights(closed_only, AS_OF)
    assert (found.closed, found.won, found.open_deals) == (40, 24, 0)
    rates = {(r["column"], r["value"]): r for r in found.rates.iter_rows(named=True)}
    assert rates[("team", "all")]["win_rate"] == pytest.approx(24 / 40)
    assert rates[("lead_source", "referral")]["won"] == rates[("lead_source", "referral")]["deals"]
    assert not any(column == "crm_id" for column, _ in rates), "an identifier is no segment"
    team = rates[("team", "all")]
    assert team["low"] < team["win_rate"] < team["high"]
    funnel = {r["stage"].lower(): r for r in found.funnel.iter_rows(named=True)}
    assert [funnel[s]["reached"] for s in ("qualification", "demo", "proposal")] == [40, 40, 40]
    assert funnel["proposal"]["went_on"] == pytest.approx(24 / 40)
    assert (funnel["negotiation"]["reached"], funnel["negotiation"]["win_rate"]) == (24, 1.0)
    assert found.facts.height > 0


def test_nothing_closed_after_the_date_counts(closed_only: Store) -> None:
    """As of a day inside the history, the deals closed later are open then."""
    earlier = AS_OF - timedelta(days=100)
    found = insights(closed_only, earlier)
    assert 0 < found.closed < 40 and found.open_deals > 0
    assert found.rates.filter(pl.col("column") == "team")["deals"][0] == found.closed


def test_insights_on_the_command_line(closed_only: Store) -> None:
    db = str(closed_only.engine.url.render_as_string(hide_password=False))
    base = ["insights", "--db", db, "--as-of", AS_OF.isoformat()]
    text = CliRunner().invoke(app, base, env={"COLUMNS": "80"})
    assert text.exit_code == 0, text.output
    assert text.stdout.startswith("What wins here, as of 2024-06-01")
    assert "lead source: referral" in text.stdout and "Stage funnel" in text.stdout
    assert max(len(line) for line in text.stdout.splitlines()) <= 80
    data = json.loads(CliRunner().invoke(app, [*base, "--format", "json"]).stdout)
    assert data == json.loads(json.dumps(insights_json(insights(closed_only, AS_OF))))


def test_where_lost_deals_turn_in_words() -> None:
    turns = pl.DataFrame(
        {
            "stage": ["Discovery", "Proposal", "Demo", "Negotiation"],
            "deals": [1204, 41, 38, 14],
            "share": [1204 / 1297, 41 / 1297, 38 / 1297, 14 / 1297],
            "median_days_to_turn": [33.4, 78.0, 45.4, 99.0],
        }
    )
    assert turn_headline(turns) == (
        "Lost deals turn most often in Discovery: 1,204 lost deals of the 1,297 whose turn "
        "was seen (93%), a median 33 days after they were created; then Proposal (3%) and "
        "Demo (3%)."
    )
    one = turns.head(1).with_columns(pl.lit(None, dtype=pl.String).alias("stage"))
    assert turn_headline(one) == (
        "Lost deals turn most often in no stage: 1,204 lost deals of the 1,204 whose turn "
        "was seen (93%), a median 33 days after they were created."
    )
    assert turn_headline(turns.clear()) is None
