"""The monthly deal review "with fresh eyes", as one self-contained HTML page.

:func:`build_report` gathers what a sales manager runs the review from: the review
itself (deals ranked by what to do, the summary), stalled deals per stage against the
stage limits and what won deals needed, a per-rep view, the deals reps hold on to
against the data, and the most common red flags. :func:`render_report` turns it into
HTML with inline SVG charts (:mod:`walkaway.reporting`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import polars as pl

from walkaway import __version__
from walkaway.flags.rulebook import RULES
from walkaway.journal.changes import KIND_TITLES, KIND_WORDS, KINDS
from walkaway.models import Recommendation
from walkaway.policy import Policy
from walkaway.reporting import (
    RECOMMENDATION_COLOURS,
    RECOMMENDATION_LABELS,
    Point,
    StackedBar,
    forecast_chart,
    probability_scatter,
    render_page,
    value_by_stage_chart,
)
from walkaway.reporting.numbers import money, percent
from walkaway.service.changes import Changes, changes
from walkaway.service.forecast import Forecast, Period, forecast_by_period, forecast_chart_of
from walkaway.service.insights import Insights, insights, turn_headline
from walkaway.service.pipeline import current_policy
from walkaway.service.reading import load_pipeline
from walkaway.service.review import Review, review
from walkaway.signals.frame import compute_signals
from walkaway.store import Store

TOP_FLAGS = 10
CHANGES_SHOWN = 25  # per kind of change; `walkaway review --since` lists every one
NO_OWNER = "(no owner)"
NO_STAGE = "(no stage)"
# Defaults of the policy's gut_vs_data rule, for a policy that leaves the rule out.
GUT_HIGH, GUT_LOW_PROBABILITY = 4.0, 0.2
STAGE_TIMING = (
    "days_in_stage",
    "stage_norm_median",
    "stage_norm_p90",
    "stage_norm_source",
    "stage_limit_days",
    "stall_threshold_days",
)
WALK = pl.col("recommendation") == Recommendation.WALK_AWAY.value
# The amount of a deal in the report's currency (null in another: money is never
# summed across currencies; the summary's by_currency has the others).
VALUED = "valued_amount"


@dataclass(frozen=True)
class GutThresholds:
    """A rep "holds on" when confidence >= ``high`` while win probability < ``low_probability``."""

    high: float
    low_probability: float


@dataclass(frozen=True)
class Report:
    """Everything on the review page, as of a date, optionally for one rep."""

    review: Review
    owner: str | None
    deals: pl.DataFrame  # the review's deals with their stage timing and stage order
    stages: pl.DataFrame  # per stage: open deals and value, stalled ones, limit, won norms
    stalled: pl.DataFrame  # deals in their stage longer than the limit or won deals needed
    reps: pl.DataFrame  # per rep: deals, value, walk-aways, pollution, forecasts, hours
    holding_on: pl.DataFrame  # deals the rep rates highly while the data says they are dying
    red_flags: pl.DataFrame  # the most common red flags across the pipeline
    gut: GutThresholds
    changes: Changes | None = None  # what changed since the last review (or ``since``)
    forecast: Forecast | None = None  # expected won value per month of expected close
    insights: Insights | None = None  # what wins here: win rates by segment, the funnel

    @property
    def summary(self) -> dict[str, Any]:
        return self.review.summary


def build_report(
    store: Store, as_of: datetime, *, owner: str | None = None, since: str | None = None
) -> Report:
    """The monthly review as of ``as_of`` (for one rep with ``owner``), with what changed
    since ``since`` (:func:`walkaway.service.changes.resolve_since`: by default the last
    saved review, else a week)."""
    result = review(store, as_of, owner=owner)
    changed = changes_since(store, result, since, owner)
    policy = current_policy(store)
    gut = gut_thresholds(policy)
    deals = result.deals.join(_stage_timing(store, result), on="deal_id", how="left")
    deals = deals.with_columns(pl.col("stage").fill_null(NO_STAGE))
    deals = deals.with_columns(
        stage_order=_stage_order(deals, policy),
        stalled=(pl.col("days_in_stage") > pl.col("stall_threshold_days")).fill_null(False),
        holding_on=_holding_on(gut),
        valued_amount=pl.when(pl.col("currency") == result.summary["currency"]).then("amount"),
    )
    return Report(
        review=result,
        owner=owner,
        deals=deals,
        stages=stalls_per_stage(deals),
        stalled=stalled_deals(deals),
        reps=per_rep(deals),
        holding_on=deals.filter("holding_on").sort("owner", "win_probability"),
        red_flags=common_red_flags(deals),
        gut=gut,
        changes=changed,
        forecast=forecast_by_period(store, result, Period.MONTH),
        insights=insights(store, as_of),
    )


def changes_since(store: Store, now: Review, since: str | None, owner: str | None) -> Changes:
    """What changed between the review as of ``since`` and ``now`` (reused, not re-run)."""

    def reviewed(moment: datetime) -> Review:
        return now if moment == now.as_of else review(store, moment, owner=owner)

    return changes(store, now.as_of, since, owner=owner, reviewed=reviewed)


def changes_context(found: Changes | None, shown: int = CHANGES_SHOWN) -> dict[str, Any] | None:
    """The report's "changed since" section: the summary, and per kind its first
    ``shown`` deals and how many more."""
    if found is None:
        return None
    sections = []
    for kind in KINDS:
        rows = found.deals.filter(pl.col("kind") == kind)
        if rows.height:
            sections.append(
                {
                    "kind": kind,
                    "title": KIND_TITLES[kind],
                    "rows": rows.head(shown).to_dicts(),
                    "more": max(rows.height - shown, 0),
                }
            )
    return {
        "since": found.since,
        "since_from": found.since_from,
        "summary": found.summary,
        "counted": [f"{n:,} {KIND_WORDS[k]}" for k, n in found.summary["by_kind"].items() if n],
        "sections": sections,
        "deadlines": found.deadlines.to_dicts(),
    }


def gut_thresholds(policy: Policy) -> GutThresholds:
    """The policy's gut_vs_data thresholds (its defaults when the rule is left out)."""
    params = policy.rules["gut_vs_data"].params if "gut_vs_data" in policy.rules else {}
    return GutThresholds(
        float(params.get("high", GUT_HIGH)),
        float(params.get("low_probability", GUT_LOW_PROBABILITY)),
    )


def _holding_on(gut: GutThresholds) -> pl.Expr:
    confident = pl.col("rep_confidence") >= gut.high
    return (confident & (pl.col("win_probability") < gut.low_probability)).fill_null(False)


def _stage_timing(store: Store, result: Review) -> pl.DataFrame:
    """Days in stage, the stage limit and won deals' norms for the review's deals."""
    ids = result.deals["deal_id"].to_list()
    if not ids:
        return pl.DataFrame(schema={"deal_id": pl.String}).with_columns(
            pl.lit(None, dtype=pl.String if c == "stage_norm_source" else pl.Float64).alias(c)
            for c in STAGE_TIMING
        )
    pipeline = load_pipeline(store, result.as_of)
    signals = compute_signals(pipeline, result.as_of, current_policy(store), deal_ids=ids)
    return signals.select("deal_id", *STAGE_TIMING)


def _stage_order(deals: pl.DataFrame, policy: Policy) -> pl.Expr:
    """The stage's place in the policy; stages the policy does not name come after, by name."""
    unknown = sorted(
        s for s in deals["stage"].unique().drop_nulls() if policy.stage_index(s) is None
    )
    order = {s: policy.stage_index(s) for s in deals["stage"].unique().drop_nulls()}
    order |= {s: len(policy.stages) + i for i, s in enumerate(unknown)}
    return pl.col("stage").replace_strict(order, default=len(order) + 1, return_dtype=pl.Int64)


def stalls_per_stage(deals: pl.DataFrame) -> pl.DataFrame:
    """Per stage, in the policy's order: open deals, stalled ones, the limit, won norms."""
    stalled = pl.col("stalled")
    return (
        deals.group_by("stage")
        .agg(
            pl.col("stage_order").first(),
            pl.len().alias("open_deals"),
            pl.col(VALUED).sum().alias("open_value"),
            stalled.sum().alias("stalled_deals"),
            pl.col(VALUED).filter(stalled).sum().alias("stalled_value"),
            pl.col("days_in_stage").median().alias("median_days_in_stage"),
            pl.col("days_in_stage").max().alias("longest_days_in_stage"),
            *[pl.col(c).first() for c in STAGE_TIMING[1:]],
        )
        .sort("stage_order", "stage", nulls_last=True)
    )


def stalled_deals(deals: pl.DataFrame) -> pl.DataFrame:
    """Stalled deals by stage, longest in stage first, with the scale of a days bar."""
    days, limit, won = pl.col("days_in_stage"), pl.col("stage_limit_days"), pl.col("stage_norm_p90")
    return (
        deals.filter("stalled")
        .with_columns(
            (days - pl.col("stall_threshold_days")).alias("days_over"),
            (pl.max_horizontal(days, limit, won) * 1.08).alias("bar_scale"),
        )
        .sort(["stage_order", "days_in_stage"], descending=[False, True])
    )


def per_rep(deals: pl.DataFrame) -> pl.DataFrame:
    """Per rep: the rep's share of the pipeline, its pollution and the forecast both ways."""
    amount = pl.col(VALUED).fill_null(0.0)
    weighted = pl.col("win_probability") * amount
    rows = (
        deals.with_columns(pl.col("owner").fill_null(NO_OWNER))
        .group_by("owner")
        .agg(
            pl.len().alias("open_deals"),
            amount.sum().alias("open_value"),
            WALK.sum().alias("walk_aways"),
            amount.filter(WALK).sum().alias("walk_away_value"),
            (pl.col("recommendation") == Recommendation.REQUALIFY.value).sum().alias("requalify"),
            weighted.sum().alias("forecast"),
            weighted.filter(~WALK).sum().alias("forecast_without_walk_aways"),
            pl.col("hours_needed").filter(WALK).sum().alias("hours_freed"),
            pl.col("hours_invested").filter(WALK).sum().alias("hours_sunk_in_walk_aways"),
            pl.col("stalled").sum().alias("stalled_deals"),
            pl.col("holding_on").sum().alias("holding_on"),
        )
    )
    share = pl.col("walk_away_value") / pl.col("open_value")
    return rows.with_columns(
        pl.when(pl.col("open_value") > 0).then(share).otherwise(0.0).alias("pipeline_pollution")
    ).sort(["walk_away_value", "open_value", "owner"], descending=[True, True, False])


def common_red_flags(deals: pl.DataFrame, top: int = TOP_FLAGS) -> pl.DataFrame:
    """The red flags raised on most open deals, with the value they hang over."""
    titles = {rule.code: rule.title for rule in RULES}
    flags = (
        deals.select("deal_id", pl.col(VALUED).alias("amount"), "flags")
        .explode("flags")
        .drop_nulls("flags")
        .unnest("flags")
    )
    rank = {"critical": 0, "warning": 1, "info": 2}
    counted = flags.group_by("code").agg(
        pl.col("deal_id").n_unique().alias("deals"),
        pl.col("severity").first(),
        pl.col("amount").sum().alias("value"),
        pl.col("evidence").first().alias("example"),
        pl.col("question").mode().sort().first().alias("question"),
    )
    severity = pl.col("severity").replace_strict(rank, default=3, return_dtype=pl.Int64)
    return (
        counted.with_columns(
            pl.col("code")
            .replace_strict(titles, default=pl.col("code").str.replace_all("_", " "))
            .alias("title"),
            (pl.col("deals") / max(deals.height, 1)).alias("share"),
        )
        .sort([pl.col("deals"), severity, pl.col("code")], descending=[True, False, False])
        .head(top)
    )


def render_report(report: Report) -> str:
    """The review as one self-contained HTML document (inline CSS and SVG charts)."""
    return render_page(report_context(report))


def report_context(report: Report) -> dict[str, Any]:
    """What the template reads: plain values, the charts as escaped SVG."""
    deals = report.deals

    def called(recommendation: Recommendation) -> list[dict[str, Any]]:
        return deals.filter(pl.col("recommendation") == recommendation.value).to_dicts()

    return {
        "as_of": report.review.as_of,
        "owner": report.owner,
        "version": __version__,
        "summary": report.summary,
        "currency": report.summary["currency"],
        "labels": RECOMMENDATION_LABELS,
        "colours": RECOMMENDATION_COLOURS,
        "walk_away": called(Recommendation.WALK_AWAY),
        "requalify": called(Recommendation.REQUALIFY),
        "pursue": called(Recommendation.PURSUE),
        "stages": report.stages.to_dicts(),
        "stalled": report.stalled.to_dicts(),
        "reps": report.reps.to_dicts(),
        "holding_on": report.holding_on.to_dicts(),
        "red_flags": report.red_flags.to_dicts(),
        "gut": report.gut,
        "charts": _charts(report),
        "changes": changes_context(report.changes),
        "forecast": None if report.forecast is None else forecast_context(report.forecast),
        "insights": None if report.insights is None else insights_context(report.insights),
    }


def insights_context(found: Insights) -> dict[str, Any]:
    """The report's "what wins here": win rates by segment, the funnel, the facts."""
    facts = found.facts
    confirmed = facts.filter(pl.col("verdict") == "confirmed") if facts.height else facts
    words = pl.col("column").str.replace_all("_", " ")
    return {
        "closed": found.closed,
        "won": found.won,
        "turns": found.turns.to_dicts(),
        "turn_headline": turn_headline(found.turns),
        "rates": found.rates.with_columns(words).to_dicts(),
        "funnel": found.funnel.to_dicts() if found.funnel["reached"].sum() else [],
        "confirmed": [
            f"{r['field']} {r['value']}".replace("_", " ") for r in confirmed.iter_rows(named=True)
        ],
    }


def forecast_context(found: Forecast) -> dict[str, Any]:
    """The report's forecast by month: its rows, totals and chart."""
    return {
        "rows": found.rows.to_dicts(),
        "total": found.total,
        "without": found.total_without_walk_aways,
        "slipped": found.slipped,
        "won_history": found.won_history,
        "median_days": found.median_days_to_close,
        "chart": forecast_chart_of(found),
    }


def _charts(report: Report) -> dict[str, Any]:
    summary, currency = report.summary, report.summary["currency"]
    return {
        "value_by_stage": value_by_stage_chart(_stage_bars(report.deals), currency),
        "forecast": forecast_chart(
            summary["open_value"],
            summary["forecast"],
            summary["forecast_without_walk_aways"],
            currency,
        ),
        "scatter": probability_scatter(_points(report.deals), currency),
    }


def _stage_bars(deals: pl.DataFrame) -> list[StackedBar]:
    grouped = (
        deals.group_by("stage", "stage_order", "recommendation")
        .agg(pl.col(VALUED).fill_null(0.0).sum().alias("value"), pl.len().alias("deals"))
        .sort("stage_order", "stage", nulls_last=True)
    )
    values: dict[str, dict[str, float]] = {}
    counts: dict[str, dict[str, int]] = {}
    for row in grouped.iter_rows(named=True):
        values.setdefault(row["stage"], {})[row["recommendation"]] = row["value"]
        counts.setdefault(row["stage"], {})[row["recommendation"]] = row["deals"]
    return [StackedBar(stage, values[stage], counts[stage]) for stage in values]


def _points(deals: pl.DataFrame) -> list[Point]:
    points = []
    for d in deals.filter(pl.col(VALUED).is_not_null()).iter_rows(named=True):
        label = (
            f"{d['deal_id']} · {d['name']} ({d['owner']}): {money(d['amount'], d['currency'])}, "
            f"{percent(d['win_probability'])} to win — {RECOMMENDATION_LABELS[d['recommendation']]}"
        )
        points.append(Point(d["amount"], d["win_probability"], d["recommendation"], label))
    return points
