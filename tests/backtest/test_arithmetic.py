"""The backtest's arithmetic on the hand-built history of history.py, worked out by hand."""

from __future__ import annotations

import pytest

from tests.backtest.history import C1, C2, LOW, fixed_factory, hand_built_history
from walkaway.backtest.metrics import Metrics
from walkaway.backtest.replay import BacktestResult, run_backtest
from walkaway.policy import load_policy


@pytest.fixture(scope="module")
def result() -> BacktestResult:
    return run_backtest(hand_built_history(), load_policy(), [C2, C1], fixed_factory)


def at(result: BacktestResult, method: str, cut: object) -> Metrics:
    return next(m for m in result.per_cut if m.method == method and m.cut == cut)


def test_cuts_are_sorted_and_every_method_is_measured_at_each(result: BacktestResult) -> None:
    assert result.cuts == (C1, C2)
    assert [(m.cut, m.method) for m in result.per_cut] == [
        (c, m) for c in (C1, C2) for m in ("model", "never", "idle", "stage")
    ]


def test_model_at_the_first_cut(result: BacktestResult) -> None:
    m = at(result, "model", C1)
    # Open: A-F; E is still open at the end. Walked away from: A, B, E, F.
    assert (m.open_deals, m.evaluated, m.still_open, m.won, m.lost) == (6, 5, 1, 2, 3)
    assert (m.flagged, m.flagged_lost) == (4, 2)
    assert m.share_flagged == pytest.approx(4 / 6)
    assert m.precision == pytest.approx(2 / 3)  # A and F lost, B won (E unknown)
    assert (m.wins_sacrificed, m.wins_sacrificed_value) == (1, 50_000.0)
    assert m.wins_sacrificed_share == pytest.approx(1 / 2)
    # Hours after C1 on lost deals: A 2.5, C 1.5, F 1.0 (F's email after its loss is not
    # counted); saved: A and F.
    assert (m.hours_saved, m.hours_on_lost) == (pytest.approx(3.5), pytest.approx(5.0))
    assert m.hours_saved_share == pytest.approx(0.7)
    assert (m.touches_saved, m.touches_on_lost) == (3, 6)
    assert m.touches_saved_share == pytest.approx(0.5)
    assert m.effort_saved_share == pytest.approx(0.7)  # hours were logged, so hours
    assert m.lead_time_days == pytest.approx(25.0)  # A lost 10 days on, F 40: median 25
    # Won B (0.001) and D (0.9) against lost A, F (0.001) and C (0.9): 3.5 of 6 pairs.
    assert m.auc == pytest.approx(3.5 / 6)
    assert m.brier == pytest.approx((LOW**2 * 2 + (1 - LOW) ** 2 + 0.9**2 + 0.1**2) / 5)


def test_model_at_the_second_cut(result: BacktestResult) -> None:
    m = at(result, "model", C2)
    # Open: B, D, E, F, G; walked away from: D, E, G.
    assert (m.open_deals, m.evaluated, m.still_open) == (5, 4, 1)
    assert (m.flagged, m.flagged_lost, m.precision) == (3, 1, pytest.approx(0.5))
    assert (m.wins_sacrificed, m.wins_sacrificed_value) == (1, 20_000.0)
    # After C2 F logs nothing before its loss; G logs 2 hours in one email.
    assert (m.hours_saved, m.hours_on_lost, m.touches_saved, m.touches_on_lost) == (
        pytest.approx(2.0),
        pytest.approx(2.0),
        1,
        1,
    )
    assert m.lead_time_days == pytest.approx(7.0)


def test_pooled_replays_the_policy_at_every_cut(result: BacktestResult) -> None:
    m = result.pooled_for("model")
    # First walk-away: A, B, E, F at C1; D, G at C2. C never.
    assert (m.open_deals, m.evaluated, m.still_open, m.won, m.lost) == (7, 6, 1, 2, 4)
    assert (m.flagged, m.flagged_lost, m.precision) == (6, 3, pytest.approx(0.6))
    assert (m.wins_sacrificed, m.wins_sacrificed_value, m.wins_sacrificed_share) == (
        2,
        70_000.0,
        pytest.approx(1.0),
    )
    # Effort on lost deals from the first cut that saw them: A 2.5, C 1.5, F 1.0, G 2.0.
    assert (m.hours_saved, m.hours_on_lost) == (pytest.approx(5.5), pytest.approx(7.0))
    assert (m.touches_saved, m.touches_on_lost) == (4, 7)
    assert m.lead_time_days == pytest.approx(10.0)  # A 10, F 40, G 7 days
    # All nine deal-cut rows with an outcome: wins at 0.001, 0.9, 0.9, 0.001 against
    # losses at 0.001 x3 and 0.9 x2: (2 x 1.5 + 2 x 4) of 20 pairs.
    assert m.auc == pytest.approx(11 / 20)


def test_never_walk_away(result: BacktestResult) -> None:
    m = at(result, "never", C1)
    assert (m.flagged, m.precision, m.wins_sacrificed, m.hours_saved) == (0, None, 0, 0.0)
    assert m.effort_saved_share == 0.0 and m.lead_time_days is None
    assert m.auc == pytest.approx(0.5)
    assert m.brier == pytest.approx(0.24)  # 2 of 5 won before C1: 0.4 for everyone


def test_idle_rule(result: BacktestResult) -> None:
    m = at(result, "idle", C1)
    # A (20 days idle) and C (30) pass the 14-day limit; both were lost.
    assert (m.flagged, m.flagged_lost, m.precision, m.wins_sacrificed) == (2, 2, 1.0, 0)
    assert (m.hours_saved, m.touches_saved) == (pytest.approx(4.0), 5)
    assert m.effort_saved_share == pytest.approx(0.8)
    assert m.lead_time_days == pytest.approx(7.5)
    assert m.brier is None  # a score, not a probability
    pooled = result.pooled_for("idle")  # B, idle 17 days at C2, was won
    assert (pooled.flagged, pooled.wins_sacrificed, pooled.precision) == (3, 1, 2 / 3)


def test_stage_probability(result: BacktestResult) -> None:
    rows = result.rows
    first = dict(rows.filter(rows["cut"] == C1).select("deal_id", "p_stage").iter_rows())
    assert first == {"A": 0.5, "B": 0.5, "C": 0.0, "D": 0.5, "E": 0.5, "F": 0.5}
    second = dict(rows.filter(rows["cut"] == C2).select("deal_id", "p_stage").iter_rows())
    assert set(second.values()) == {0.4}  # A's loss before C2: proposal won 2 of 5
    m = at(result, "stage", C1)
    assert (m.flagged, m.precision, m.hours_saved, m.lead_time_days) == (1, 1.0, 1.5, 5.0)
    assert m.effort_saved_share == pytest.approx(0.3)


def test_calibration_table(result: BacktestResult) -> None:
    table = result.calibration.filter(result.calibration["method"] == "model")
    assert table.select("bin", "deals").rows() == [(0, 5), (9, 4)]
    low = table.row(0, named=True)
    assert low["observed_win_rate"] == pytest.approx(2 / 5)  # B and D at 0.001
    assert low["mean_predicted"] == pytest.approx(LOW)


def test_curve_at_the_models_own_threshold(result: BacktestResult) -> None:
    curve = result.curves.filter(result.curves["method"] == "model").sort("threshold")
    lowest = curve.row(0, named=True)  # walks away from the 0.001 deals: the model's rule
    pooled = result.pooled_for("model")
    assert lowest["flagged"] == pooled.flagged
    assert lowest["precision"] == pytest.approx(pooled.precision)
    assert lowest["effort_saved_share"] == pytest.approx(pooled.effort_saved_share)
    assert curve["flagged"].is_sorted()


def test_json_summary(result: BacktestResult) -> None:
    data = result.to_dict()
    assert data["cuts"] == [C1.isoformat(), C2.isoformat()]
    assert set(data["pooled"]) == {"model", "never", "idle", "stage"}
    assert data["pooled"]["model"]["precision"] == pytest.approx(0.6)
    assert len(data["per_cut"]) == 8
    assert result.summary()["label"].to_list()[0] == "Walkaway"
