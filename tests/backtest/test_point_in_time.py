"""Training at a cut never sees what happened at or after it."""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl
import pytest

from tests.backtest.history import (
    C1,
    C2,
    PROBABILITIES,
    FixedModel,
    act,
    deal,
    hand_built_history,
)
from walkaway.backtest.replay import as_known_at, effort_after, final_outcomes, run_backtest
from walkaway.errors import InputError
from walkaway.models import ACTIVITY_SCHEMA, DEAL_SCHEMA, Pipeline
from walkaway.policy import Policy, load_policy


class RecordingFactory:
    """A model factory that keeps what it was given."""

    def __init__(self) -> None:
        self.seen: list[tuple[datetime, Pipeline]] = []

    def __call__(self, pipeline: Pipeline, cut: datetime, policy: Policy) -> FixedModel:
        self.seen.append((cut, pipeline))
        return FixedModel(PROBABILITIES[cut])


def test_the_model_is_trained_on_what_was_known_at_each_cut() -> None:
    factory = RecordingFactory()
    run_backtest(hand_built_history(), load_policy(), [C1, C2], factory)
    assert [cut for cut, _ in factory.seen] == [C1, C2]
    for cut, view in factory.seen:
        deals, acts = view.deals, view.activities
        assert deals.filter(pl.col("created_at") >= cut).height == 0
        assert acts.filter(pl.col("at") >= cut).height == 0
        labelled = deals.filter(pl.col("outcome") != "open")
        assert labelled.filter(pl.col("closed_at") >= cut).height == 0
        # Whatever closed at or after the cut is open in the view, with no close date.
        later = deals.filter(pl.col("deal_id").is_in(["B", "D", "F"]))
        assert set(later["outcome"]) == {"open"} and later["closed_at"].null_count() == 3
    first = factory.seen[0][1].deals
    assert "G" not in first["deal_id"].to_list()  # created after C1
    assert sorted(first.filter(pl.col("outcome") != "open")["deal_id"]) == [
        "H1",
        "H2",
        "H3",
        "H4",
        "H5",
    ]


def _pipeline(deals: list[dict[str, object]], acts: list[dict[str, object]]) -> Pipeline:
    return Pipeline(
        pl.DataFrame(deals, schema=DEAL_SCHEMA), pl.DataFrame(acts, schema=ACTIVITY_SCHEMA)
    )


def test_an_open_deals_stage_is_the_one_it_stood_in_at_the_cut() -> None:
    pipeline = _pipeline(
        [
            deal("moved", -30, "won", 10, stage="Closed Won"),
            deal("never_moved_won", -30, "won", 10, stage="Closed Won"),
            deal("never_moved_open", -30, stage="demo"),
            deal("moved_later", -30, stage="negotiation"),
            deal("closed_before", -30, "lost", -5, stage="Closed Lost"),
        ],
        [
            act("moved", -30, "stage_change", "internal", stage="demo"),
            act("moved", -10, "stage_change", "internal", stage="proposal"),
            act("moved", 10, "stage_change", "internal", stage="Closed Won"),
            act("moved_later", 5, "stage_change", "internal", stage="negotiation"),
        ],
    )
    view = as_known_at(pipeline, C1)
    stages = dict(view.deals.select("deal_id", "stage").iter_rows())
    assert stages == {
        "moved": "proposal",
        "never_moved_won": None,  # "Closed Won" was not known at the cut
        "never_moved_open": "demo",
        "moved_later": None,  # it stood in some earlier stage, unknown
        "closed_before": "Closed Lost",
    }


def test_effort_counts_from_the_cut_to_the_close() -> None:
    pipeline = hand_built_history()
    effort = effort_after(pipeline, final_outcomes(pipeline), C1)
    f = effort.filter(pl.col("deal_id") == "F").row(0, named=True)
    assert (f["touches_after"], f["hours_after"]) == (1, 1.0)  # not the email after the loss
    a = effort.filter(pl.col("deal_id") == "A").row(0, named=True)
    assert (a["touches_after"], a["hours_after"]) == (2, 2.5)  # the inbound reply is no touch


def test_no_closed_history_before_the_first_cut_is_refused() -> None:
    with pytest.raises(InputError, match="no deal had closed before the first cut"):
        run_backtest(hand_built_history(), load_policy(), [C1 - timedelta(days=200)])


def test_no_cut_is_refused() -> None:
    with pytest.raises(InputError, match="at least one cut"):
        run_backtest(hand_built_history(), load_policy(), [])


def test_the_default_model_runs_on_a_thin_history() -> None:
    result = run_backtest(hand_built_history(), load_policy(), [C1, C2])
    assert len(result.models) == 2
    assert result.pooled_for("model").open_deals == 7
