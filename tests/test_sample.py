"""The bundled sample pipeline: reproducible, importable, and showing what it promises."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from walkaway.sample import ACTIVITIES_CSV, DEALS_CSV, SAMPLE_AS_OF
from walkaway.sample import generate as sample_generate
from walkaway.sample.generate import generate_sample, write_sample
from walkaway.sample.scenarios import SCENARIOS
from walkaway.sample.story import STAGES
from walkaway.service import import_files
from walkaway.store import open_store

AS_OF = datetime(SAMPLE_AS_OF.year, SAMPLE_AS_OF.month, SAMPLE_AS_OF.day)
TOUCHES = ("email", "call")
PUSH = r"^close date moved from (\d{4}-\d{2}-\d{2}) to (\d{4}-\d{2}-\d{2})$"
AMOUNT = r"^amount changed from (\d+) to (\d+) EUR$"


@pytest.fixture(scope="module")
def sample() -> tuple[pl.DataFrame, pl.DataFrame]:
    return generate_sample()


@pytest.fixture(scope="module")
def deals(sample: tuple[pl.DataFrame, pl.DataFrame]) -> pl.DataFrame:
    return sample[0]


@pytest.fixture(scope="module")
def activities(sample: tuple[pl.DataFrame, pl.DataFrame]) -> pl.DataFrame:
    return sample[1]


def _days_before_as_of(column: str) -> pl.Expr:
    return (pl.lit(AS_OF) - pl.col(column)).dt.total_hours() / 24


@pytest.fixture(scope="module")
def signals(deals: pl.DataFrame, activities: pl.DataFrame) -> pl.DataFrame:
    """Per open deal, the plain facts each situation is recognised by."""
    acts = activities.join(deals.select("deal_id", "outcome"), on="deal_id").filter(
        pl.col("outcome") == "open"
    )
    inbound = pl.col("direction") == "inbound"
    last_inbound = acts.filter(inbound).group_by("deal_id").agg(pl.col("at").max().alias("li"))
    proposals = acts.filter((pl.col("kind") == "proposal") & (pl.col("direction") == "outbound"))
    last_proposal = proposals.group_by("deal_id").agg(
        pl.len().alias("proposals"), pl.col("at").max().alias("lp")
    )
    stage_rank = pl.col("stage").replace_strict(STAGES, list(range(len(STAGES))), default=None)
    moves = (
        acts.filter(pl.col("kind") == "stage_change")
        .sort("deal_id", "at")
        .with_columns(rank=stage_rank)
        .group_by("deal_id", maintain_order=True)
        .agg(
            pl.col("at").max().alias("entered"),
            (pl.col("rank").diff() < 0).sum().alias("regressions"),
            (pl.col("rank") == STAGES.index("Proposal")).any().alias("reached_proposal"),
        )
    )
    notes = acts.filter(pl.col("kind") == "note")
    pushes = (
        notes.filter(pl.col("detail").str.contains(PUSH))
        .sort("at")
        .group_by("deal_id")
        .agg(pl.len().alias("pushes"), pl.col("detail").last().alias("last_push"))
    )
    per_deal = acts.join(last_inbound, on="deal_id", how="left").join(
        last_proposal, on="deal_id", how="left"
    )
    counts = per_deal.group_by("deal_id").agg(
        (
            pl.col("kind").is_in(TOUCHES)
            & (pl.col("direction") == "outbound")
            & (pl.col("at") > pl.col("li"))
        )
        .sum()
        .alias("touches_since_reply"),
        (
            pl.col("kind").is_in(TOUCHES)
            & (pl.col("direction") == "outbound")
            & (pl.col("at") > pl.col("lp"))
        )
        .sum()
        .alias("touches_since_proposal"),
        (inbound & (pl.col("at") > pl.col("lp"))).sum().alias("inbound_since_proposal"),
        (
            pl.col("kind").is_in(["meeting", "demo"])
            & pl.col("status").is_in(["no_show", "rescheduled"])
        )
        .sum()
        .alias("missed"),
        (pl.col("kind").is_in(["meeting", "demo"]) & (pl.col("status") == "done"))
        .sum()
        .alias("met"),
    )
    return (
        deals.filter(pl.col("outcome") == "open")
        .join(last_inbound, on="deal_id", how="left")
        .join(last_proposal, on="deal_id", how="left")
        .join(moves, on="deal_id", how="left")
        .join(pushes, on="deal_id", how="left")
        .join(counts, on="deal_id", how="left")
        .with_columns(
            silent_days=_days_before_as_of("li"),
            proposal_age=_days_before_as_of("lp"),
            days_in_stage=_days_before_as_of("entered"),
            created_days=_days_before_as_of("created_at"),
            pushes=pl.col("pushes").fill_null(0),
            proposals=pl.col("proposals").fill_null(0),
        )
    )


def test_bundled_files_are_what_the_generator_makes(tmp_path: Path) -> None:
    deals_path, activities_path = write_sample(tmp_path)
    assert deals_path.read_bytes() == DEALS_CSV.read_bytes()
    assert activities_path.read_bytes() == ACTIVITIES_CSV.read_bytes()


def test_the_generator_is_deterministic() -> None:
    first, second = generate_sample(), generate_sample()
    assert first[0].equals(second[0])
    assert first[1].equals(second[1])


def test_bundled_files_import_cleanly_and_idempotently(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'sample.db'}")
    try:
        first = import_files(store, DEALS_CSV, ACTIVITIES_CSV)
        again = import_files(store, DEALS_CSV, ACTIVITIES_CSV)
    finally:
        store.close()
    activity_rows = pl.read_csv(ACTIVITIES_CSV, infer_schema=False).height
    assert first.format == "generic"
    assert first.rejected == 0
    assert (first.deals_new, first.activities_new) == (360, activity_rows)
    assert (again.deals_unchanged, again.activities_new) == (360, 0)


def test_history_is_shaped_like_a_b2b_pipeline(deals: pl.DataFrame) -> None:
    outcomes = dict(deals["outcome"].value_counts().iter_rows())
    closed = outcomes["won"] + outcomes["lost"]
    assert 280 <= closed <= 320
    assert 0.25 <= outcomes["won"] / closed <= 0.35
    assert 55 <= outcomes["open"] <= 65
    reasons = set(deals.filter(pl.col("outcome") == "lost")["loss_reason"])
    assert reasons == {"competitor", "no decision", "budget", "went dark"}
    assert deals["owner"].n_unique() == 5
    assert deals["amount"].min() >= 5_000
    assert deals["amount"].max() <= 250_000
    assert set(deals["currency"]) == {"EUR"}
    span = deals["created_at"].max() - deals["created_at"].min()
    assert span >= timedelta(days=500)
    assert deals.filter(pl.col("outcome") == "open")["stage"].is_not_null().all()


def test_fields_predict_the_outcome(deals: pl.DataFrame, activities: pl.DataFrame) -> None:
    closed = deals.filter(pl.col("outcome") != "open")

    def win_rate(condition: pl.Expr) -> float:
        return float(closed.filter(condition)["outcome"].eq("won").mean())

    assert win_rate(pl.col("budget") == "confirmed") > 2 * win_rate(pl.col("budget") != "confirmed")
    assert win_rate(pl.col("champion") == "yes") > 2 * win_rate(pl.col("champion") == "no")
    cycle = closed.with_columns(days=(pl.col("closed_at") - pl.col("created_at")).dt.total_days())
    won = cycle.filter(pl.col("outcome") == "won")["days"].median()
    lost = cycle.filter(pl.col("outcome") == "lost")["days"].median()
    assert 30 <= won <= 90 and lost > won
    replies = (
        activities.join(closed.select("deal_id", "outcome"), on="deal_id")
        .group_by("outcome")
        .agg((pl.col("direction") == "inbound").mean().alias("share"))
    )
    share = dict(replies.iter_rows())
    assert share["won"] > share["lost"]


def test_activities_stay_inside_each_deal_and_before_as_of(
    deals: pl.DataFrame, activities: pl.DataFrame
) -> None:
    joined = activities.join(deals, on="deal_id", suffix="_deal")
    assert joined.height == activities.height
    assert (activities["at"] < AS_OF).all()
    assert (joined["at"] >= joined["created_at"]).all()
    closed = joined.filter(pl.col("closed_at").is_not_null())
    assert (closed["at"] <= closed["closed_at"]).all()
    first_move = (
        joined.filter(pl.col("kind") == "stage_change")
        .group_by("deal_id")
        .agg(pl.col("at").min(), pl.col("created_at").first())
    )
    assert first_move.height == deals.height
    assert (first_move["at"] == first_move["created_at"]).all()
    seller = activities.filter(pl.col("direction") == "outbound")
    assert seller["hours"].is_not_null().all()
    assert activities.filter(pl.col("direction") == "inbound")["hours"].is_null().all()
    owners = joined.filter(pl.col("actor") != pl.col("owner"))
    assert owners.height == 0


def test_stage_changes_cover_every_move(deals: pl.DataFrame, activities: pl.DataFrame) -> None:
    last = (
        activities.filter(pl.col("kind") == "stage_change")
        .sort("at")
        .group_by("deal_id")
        .agg(pl.col("stage").last())
        .join(deals.select("deal_id", pl.col("stage").alias("current")), on="deal_id")
    )
    assert (last["stage"] == last["current"]).all()
    assert set(activities["stage"].drop_nulls()) == set(STAGES)
    won_stage = deals.filter(pl.col("outcome") == "won")["stage"]
    assert set(won_stage) == {"Negotiation"}


def test_close_date_and_amount_notes_end_at_the_deal_fields(
    deals: pl.DataFrame, activities: pl.DataFrame
) -> None:
    notes = activities.filter(pl.col("kind") == "note").sort("at")
    pushed = (
        notes.filter(pl.col("detail").str.contains(PUSH))
        .group_by("deal_id")
        .agg(pl.col("detail").last().str.extract(PUSH, 2).str.to_date().alias("last"))
        .join(deals, on="deal_id")
    )
    assert pushed.height >= 20
    assert (pushed["last"] == pushed["expected_close"]).all()
    changed = (
        notes.filter(pl.col("detail").str.contains(AMOUNT))
        .group_by("deal_id")
        .agg(pl.col("detail").last().str.extract(AMOUNT, 2).cast(pl.Int64).alias("last"))
        .join(deals, on="deal_id")
    )
    assert changed.height >= 10
    assert (changed["last"] == changed["amount"]).all()


# Each situation of the product brief, how to recognise it, and the deals that show it.
SITUATIONS = {
    "buyer unresponsive": (
        (pl.col("silent_days") > 21) & (pl.col("touches_since_reply") >= 3),
        ["D-2007", "D-2008", "D-2018", "D-2019", "D-2030", "D-2033"],
    ),
    "missed meetings": (pl.col("missed") >= 2, ["D-2009", "D-2010"]),
    "stalled in stage": (pl.col("days_in_stage") > 90, ["D-2011", "D-2012", "D-2033"]),
    "close date pushed": (pl.col("pushes") >= 2, ["D-2013", "D-2014", "D-2030", "D-2033"]),
    "stage regression": (pl.col("regressions") >= 1, ["D-2016", "D-2017"]),
    "proposal unanswered": (
        (pl.col("proposal_age") > 14)
        & (pl.col("inbound_since_proposal") == 0)
        & (pl.col("touches_since_proposal") >= 3),
        ["D-2018", "D-2019"],
    ),
    "one more proposal": (pl.col("proposals") >= 3, ["D-2017", "D-2020", "D-2033"]),
    "no budget": (pl.col("budget").is_in(["none", "unknown"]), ["D-2006", "D-2010", "D-2021"]),
    "no authority": (pl.col("authority") == "influencer", ["D-2012", "D-2022"]),
    "no champion": (pl.col("champion") == "no", ["D-2012", "D-2023"]),
    "no clear need": (pl.col("need").is_in(["vague", "none"]), ["D-2012", "D-2021", "D-2023"]),
    "discount beyond 20%": (
        pl.col("discount_requested") > 0.2,
        ["D-2015", "D-2020", "D-2021"],
    ),
    "custom requests": (pl.col("custom_requests") >= 5, ["D-2024", "D-2025"]),
    "missing features": (pl.col("missing_features") >= 3, ["D-2024", "D-2025"]),
    "incumbent competitor": (
        pl.col("competitor") == "incumbent",
        ["D-2019", "D-2026", "D-2033"],
    ),
    "stakeholders not aligned": (pl.col("stakeholders_aligned") == "no", ["D-2016", "D-2027"]),
    "low fit": (pl.col("fit") == "low", ["D-2024", "D-2025", "D-2028"]),
    "low margin": (pl.col("margin") < 0.15, ["D-2020", "D-2029"]),
    "gut vs data": (
        (pl.col("rep_confidence") >= 4) & (pl.col("silent_days") > 21),
        ["D-2018", "D-2030"],
    ),
    "skipped step": (
        pl.col("reached_proposal") & (pl.col("met") == 0),
        ["D-2031", "D-2032"],
    ),
    "sunk cost": (
        (pl.col("hours_invested") >= 100) & (pl.col("silent_days") > 21),
        ["D-2030", "D-2033"],
    ),
    "big high-potential account": (
        (pl.col("amount") >= 150_000) & (pl.col("potential") == "high"),
        ["D-2005", "D-2006"],
    ),
    "new deal": (pl.col("created_days") <= 7, ["D-2004"]),
}


@pytest.mark.parametrize("situation", list(SITUATIONS))
def test_open_deals_show_each_situation(signals: pl.DataFrame, situation: str) -> None:
    condition, expected = SITUATIONS[situation]
    found = set(signals.filter(condition.fill_null(False))["deal_id"])
    assert set(expected) <= found
    assert len(found) >= min(2, len(expected))


def test_amount_cuts(activities: pl.DataFrame, deals: pl.DataFrame) -> None:
    cuts = (
        activities.filter(pl.col("detail").str.contains(AMOUNT))
        .group_by("deal_id")
        .agg(pl.col("detail").first().str.extract(AMOUNT, 1).cast(pl.Int64).alias("first"))
        .join(deals, on="deal_id")
        .filter(pl.col("first") > pl.col("amount"))
    )
    assert {"D-2014", "D-2015"} <= set(cuts["deal_id"])


def test_healthy_deals_show_no_warning_sign(signals: pl.DataFrame) -> None:
    healthy = signals.filter(pl.col("deal_id").is_in(["D-2001", "D-2002", "D-2003", "D-2005"]))
    assert healthy.height == 4
    assert (healthy["silent_days"] <= 7).all()
    assert (healthy["days_in_stage"] <= 14).all()
    for column in ("missed", "pushes", "regressions"):
        assert (healthy[column] == 0).all(), column
    assert set(healthy["budget"]) == {"confirmed"}
    assert set(healthy["authority"]) <= {"decision_maker", "economic_buyer"}
    assert set(healthy["champion"]) == {"yes"}
    assert set(healthy["need"]) == {"clear"}
    assert (healthy["discount_requested"] <= 0.1).all()
    assert (healthy["margin"] >= 0.5).all()
    assert (healthy["fit"] == "high").all()
    new = signals.filter(pl.col("deal_id") == "D-2004").row(0, named=True)
    assert new["created_days"] <= 7
    assert new["silent_days"] <= 3
    assert new["stage"] == "Qualification"


def test_healthy_moves_show_the_exit_evidence(activities: pl.DataFrame) -> None:
    """D-2001 left Proposal after a returned proposal and an agreed mutual plan."""
    deal = activities.filter(pl.col("deal_id") == "D-2001").sort("at")
    negotiation = deal.filter(pl.col("stage") == "Negotiation")["at"].min()
    before = deal.filter(pl.col("at") < negotiation)
    assert before.filter((pl.col("kind") == "proposal") & (pl.col("direction") == "inbound")).height
    assert before.filter(pl.col("detail").str.contains("(?i)mutual plan")).height
    assert before.filter(pl.col("kind") == "demo").height


def test_every_scenario_is_documented() -> None:
    doc = sample_generate.__doc__ or ""
    for scenario in SCENARIOS:
        row = f"| {scenario.deal_id} | {scenario.path[-1][0]} | {scenario.story} |"
        assert row in doc, scenario.deal_id
