"""The forecast by period: every open deal counted once, in the month (or quarter) of its
expected close, else where the team's own time to close places it; slipped deals apart;
the rows add up to the review's forecast."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from statistics import median

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from tests.core.core_factories import AS_OF, build_deal, build_pipeline
from walkaway.cli import app
from walkaway.service import build_demo, import_files
from walkaway.service.forecast import SLIPPED, Period, days_left, forecast_by_period
from walkaway.service.review import review
from walkaway.store import Store


def _won(deal_id: str, days: int) -> dict[str, object]:
    created = AS_OF - timedelta(days=300)
    return build_deal(
        deal_id=deal_id,
        created_at=created,
        closed_at=created + timedelta(days=days),
        outcome="won",
        stage="won",
    )


def _import(store: Store, folder: Path, deals: list[dict[str, object]]) -> None:
    pipeline = build_pipeline(deals)
    path = folder / "deals.csv"
    pipeline.deals.drop("attributes", "manual_probability").write_csv(path)
    import_files(store, path, format="generic")


@pytest.fixture
def placed_store(store: Store, tmp_path: Path) -> Store:
    """Wins that took 30, 60 and 90 days; four open deals placed four ways."""
    deals = [_won("W30", 30), _won("W60", 60), _won("W90", 90)]
    deals += [
        build_deal(deal_id="AHEAD", expected_close=datetime(2024, 8, 20).date()),
        build_deal(deal_id="PAST", expected_close=datetime(2024, 5, 20).date()),
        build_deal(deal_id="YOUNG", expected_close=None, created_at=AS_OF - timedelta(days=40)),
        build_deal(deal_id="OLD", expected_close=None, created_at=AS_OF - timedelta(days=100)),
    ]
    _import(store, tmp_path, deals)
    return store


def test_each_deal_counts_once_where_it_is_expected_to_close(placed_store: Store) -> None:
    result = review(placed_store, AS_OF)
    value = {
        r["deal_id"]: r["win_probability"] * r["amount"] for r in result.deals.iter_rows(named=True)
    }
    found = forecast_by_period(placed_store, result, Period.MONTH)
    rows = {r["period"]: r for r in found.rows.iter_rows(named=True)}
    # YOUNG is 40 days old: the wins that took longer took 60 and 90 days, a median 75,
    # so 35 days are left: 2024-07-06. OLD is older than every win took: slipped.
    assert set(rows) == {SLIPPED, "2024-07", "2024-08"}
    assert found.rows["period"][0] == SLIPPED
    assert rows["2024-07"]["expected_won"] == pytest.approx(value["YOUNG"])
    assert rows["2024-07"]["placed_by_history"] == 1
    assert rows["2024-08"]["expected_won"] == pytest.approx(value["AHEAD"])
    assert rows[SLIPPED]["expected_won"] == pytest.approx(value["PAST"] + value["OLD"])
    assert found.slipped == pytest.approx(value["PAST"] + value["OLD"])
    assert (found.won_history, found.median_days_to_close) == (3, 60.0)
    quarters = forecast_by_period(placed_store, result, Period.QUARTER).rows
    assert quarters["period"].to_list() == [SLIPPED, "2024-Q3"]


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Store:
    store, _ = build_demo(f"sqlite:///{tmp_path_factory.mktemp('forecast') / 'demo.db'}")
    return store


@pytest.mark.parametrize("period", list(Period))
@pytest.mark.parametrize("as_of", [datetime(2026, 11, 16), datetime(2026, 9, 1)])
def test_the_periods_add_up_to_the_reviews_forecast(
    sample: Store, period: Period, as_of: datetime
) -> None:
    result = review(sample, as_of)
    found = forecast_by_period(sample, result, period)
    summary = result.summary
    assert found.rows["deals"].sum() == summary["open_deals"]
    assert found.total == pytest.approx(summary["forecast"], abs=0.01)
    assert found.total_without_walk_aways == pytest.approx(
        summary["forecast_without_walk_aways"], abs=0.01
    )


@given(
    durations=st.lists(st.floats(0, 500), min_size=1, max_size=30),
    ages=st.lists(st.floats(0, 600), min_size=1, max_size=10),
)
def test_days_left_is_the_median_of_the_longer_wins_less_the_age(
    durations: list[float], ages: list[float]
) -> None:
    found = days_left(np.sort(np.array(durations)), np.array(ages))
    for age, left in zip(ages, found, strict=True):
        longer = [d for d in durations if d > age]
        if longer:
            assert left == pytest.approx(median(longer) - age)
        else:
            assert np.isnan(left)


def test_forecast_on_the_command_line(sample: Store, tmp_path: Path) -> None:
    db = str(sample.engine.url.database)
    base = ["forecast", "--db", db, "--as-of", "2026-11-16"]
    text = CliRunner().invoke(app, base, env={"COLUMNS": "80"})
    assert text.exit_code == 0, text.output
    assert text.stdout.startswith("Forecast by month of expected close, as of 2026-11-16")
    assert "slipped (past expected close)" in text.stdout
    assert max(len(line) for line in text.stdout.splitlines()) <= 80
    data = json.loads(
        CliRunner().invoke(app, [*base, "--by", "quarter", "--format", "json"]).stdout
    )
    assert data["period"] == "quarter"
    assert sum(p["expected_won"] for p in data["periods"]) == pytest.approx(data["total"], abs=0.1)
    bad = CliRunner().invoke(app, [*base, "--by", "week"])
    assert bad.exit_code == 2
