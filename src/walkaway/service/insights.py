"""What wins here: the team's closed history, read as of a date, for any history (even
with no open deal).

- **Win rate** over the deals closed before the date, and by each column the team has:
  the rep, the size band (the amount's quartiles), and every attribute the export brought
  (lead source, type, region, ...) with a few values, each with its 95% interval
  (Wilson), so a rate on five deals says how little it knows;
- **the qualification facts the history confirms** (the same weights the prior uses:
  :func:`walkaway.service.facts.prior_facts`);
- **where lost deals turn** (the team loss review: :mod:`walkaway.journal.loss.team`);
- **the stage funnel**: of the closed deals, how many reached each stage of the policy,
  how many of those won, and how many went on to the next stage.

Nothing dated at or after the date is used: deals closed later count as open then.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from typing import Any

import polars as pl

from walkaway.journal.loss.team import review_team_losses
from walkaway.models import DATETIME, Outcome, Pipeline, iso_utc
from walkaway.policy import Policy
from walkaway.service.facts import prior_facts
from walkaway.service.pipeline import current_policy
from walkaway.service.reading import load_pipeline
from walkaway.store import Store
from walkaway.wording import counted, percent_text

Z95 = 1.959964  # the normal quantile of a two-sided 95% interval
MAX_VALUES = 12  # a column with more distinct values is an identifier, not a segment
MIN_SHARE = 0.5  # an attribute filled on fewer closed deals says too little
SIZE_BANDS = 4
RATE_SCHEMA: dict[str, pl.DataType] = {
    "column": pl.String(),
    "value": pl.String(),
    "deals": pl.UInt32(),
    "won": pl.UInt32(),
    "win_rate": pl.Float64(),
    "low": pl.Float64(),
    "high": pl.Float64(),
}


@dataclass(frozen=True)
class Insights:
    """What the closed history says as of ``as_of`` (module docstring)."""

    as_of: datetime
    closed: int
    won: int
    rates: pl.DataFrame  # RATE_SCHEMA: the whole team first, then per column and value
    funnel: pl.DataFrame  # stage, reached, won, win_rate, went_on
    facts: pl.DataFrame  # field, value, deals, won, verdict ...
    turns: pl.DataFrame  # stage, deals, share, median_days_to_turn
    open_deals: int


def wilson(won: pl.Expr, deals: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """The 95% Wilson interval of ``won`` out of ``deals`` (0 to 1 with no deal)."""
    z2 = Z95 * Z95
    p = won / deals
    centre = (p + z2 / (2 * deals)) / (1 + z2 / deals)
    half = Z95 * ((p * (1 - p) / deals + z2 / (4 * deals * deals)).sqrt()) / (1 + z2 / deals)
    empty = deals == 0
    return (
        pl.when(empty).then(0.0).otherwise(centre - half),
        pl.when(empty).then(1.0).otherwise(centre + half),
    )


def closed_before(pipeline: Pipeline, as_of: datetime) -> pl.DataFrame:
    """The deals won or lost before ``as_of``, with a ``won`` flag."""
    closed = pl.col("outcome").is_in([Outcome.WON.value, Outcome.LOST.value])
    deals = pipeline.deals.filter(closed & (pl.col("closed_at") < pl.lit(as_of, dtype=DATETIME)))
    return deals.with_columns((pl.col("outcome") == Outcome.WON.value).alias("won"))


def _size_band(closed: pl.DataFrame) -> pl.Expr:
    """The amount's quartile band, in the team's own numbers (``8,000–15,000``)."""
    amounts = closed["amount"].drop_nulls()
    if amounts.len() < SIZE_BANDS:
        return pl.lit(None, dtype=pl.String)
    edges = sorted({float(amounts.quantile(q / SIZE_BANDS) or 0.0) for q in range(1, SIZE_BANDS)})
    labels = [f"up to {edges[0]:,.0f}"]
    labels += [f"{a:,.0f} to {b:,.0f}" for a, b in pairwise(edges)]
    labels.append(f"over {edges[-1]:,.0f}")
    amount = pl.col("amount")
    bands = [pl.when(amount <= e).then(pl.lit(b)) for e, b in zip(edges, labels, strict=False)]
    return pl.coalesce(*bands, pl.when(amount.is_not_null()).then(pl.lit(labels[-1])))


def _attributes(closed: pl.DataFrame) -> pl.DataFrame:
    """The export's own columns kept as attributes, one column each (text)."""
    text = closed["attributes"].fill_null("{}")
    if text.len() == 0 or (text == "{}").all():
        return pl.DataFrame({"deal_id": closed["deal_id"]})
    decoded = text.str.json_decode(infer_schema_length=None)
    if not isinstance(decoded.dtype, pl.Struct):
        return pl.DataFrame({"deal_id": closed["deal_id"]})
    frame = decoded.struct.unnest()
    return frame.select(pl.all().cast(pl.String)).with_columns(closed["deal_id"])


def _segments(closed: pl.DataFrame) -> pl.DataFrame:
    """deal_id, won, and the columns to cut the win rate by: rep, size band, attributes
    that have a few values and are filled on most closed deals."""
    base = closed.select(
        "deal_id", "won", pl.col("owner").alias("rep"), _size_band(closed).alias("size band")
    )
    extra = _attributes(closed)
    keep = [
        c
        for c in extra.columns
        if c != "deal_id"
        and extra[c].null_count() <= (1 - MIN_SHARE) * extra.height
        and 1 < extra[c].n_unique() <= MAX_VALUES
    ]
    return base.join(extra.select("deal_id", *keep), on="deal_id", how="left")


def win_rates(closed: pl.DataFrame) -> pl.DataFrame:
    """The team's win rate, then per column and value, each with its interval
    (:data:`RATE_SCHEMA`); within a column the best rate first."""
    segments = _segments(closed)
    columns = [c for c in segments.columns if c not in ("deal_id", "won")]
    long = segments.unpivot(index=["deal_id", "won"], on=columns, variable_name="column")
    whole = segments.select(pl.lit("team").alias("column"), pl.lit("all").alias("value"), "won")
    parts = [whole, long.drop_nulls("value").select("column", "value", "won")]
    both = pl.concat(parts, how="vertical_relaxed")
    rates = both.group_by("column", "value").agg(
        pl.len().alias("deals"), pl.col("won").sum().alias("won")
    )
    low, high = wilson(pl.col("won").cast(pl.Float64), pl.col("deals").cast(pl.Float64))
    rates = rates.with_columns(
        (pl.col("won") / pl.col("deals")).alias("win_rate"), low.alias("low"), high.alias("high")
    )
    order = {"team": 0, "rep": 1, "size band": 2}
    rank = pl.col("column").replace_strict(order, default=3, return_dtype=pl.Int32)
    rates = rates.sort(rank, "column", "win_rate", "deals", descending=[False, False, True, True])
    return rates.cast(RATE_SCHEMA).select(list(RATE_SCHEMA))  # type: ignore[arg-type]


def stage_funnel(pipeline: Pipeline, closed: pl.DataFrame, policy: Policy) -> pl.DataFrame:
    """Of the closed deals, how many reached each stage of the policy (the furthest
    stage entered counts every stage before it), how many of those won, and the share
    that went on to the next stage."""
    keys = [s.key for s in policy.stages]
    index = {key: i for i, key in enumerate(keys)}
    entered = pipeline.activities.filter(
        (pl.col("kind") == "stage_change") & pl.col("deal_id").is_in(closed["deal_id"].implode())
    ).select(
        "deal_id",
        pl.col("stage")
        .str.strip_chars()
        .str.to_lowercase()
        .replace_strict(index, default=None, return_dtype=pl.Int32)
        .alias("reached"),
    )
    furthest = entered.group_by("deal_id").agg(pl.col("reached").max())
    deals = closed.select("deal_id", "won").join(furthest, on="deal_id", how="inner")
    rows = [
        deals.filter(pl.col("reached") >= i).select(
            pl.lit(stage.name).alias("stage"),
            pl.len().cast(pl.UInt32).alias("reached"),
            pl.col("won").sum().cast(pl.UInt32).alias("won"),
        )
        for i, stage in enumerate(policy.stages)
    ]
    funnel = pl.concat(rows)
    return funnel.with_columns(
        (pl.col("won") / pl.col("reached")).fill_nan(None).alias("win_rate"),
        (pl.col("reached").shift(-1) / pl.col("reached")).fill_nan(None).alias("went_on"),
    )


def insights(store: Store, as_of: datetime, *, turns: bool = True) -> Insights:
    """What wins here, as of ``as_of``; without ``turns``, no team loss review (the
    costly part: the report and the page leave it to ``walkaway loss-review --team``)."""
    policy = current_policy(store)
    pipeline = load_pipeline(store, as_of, columnar=False)
    closed = closed_before(pipeline, as_of)
    reviewed = turns and closed.height > 0
    found = review_team_losses(pipeline, policy).by_stage if reviewed else pl.DataFrame()
    open_now = pipeline.deals.height - closed.height
    return Insights(
        as_of=as_of,
        closed=closed.height,
        won=int(closed["won"].sum()),
        rates=win_rates(closed),
        funnel=stage_funnel(pipeline, closed, policy),
        facts=prior_facts(store, as_of),
        turns=found,
        open_deals=open_now,
    )


def turn_headline(turns: pl.DataFrame) -> str | None:
    """Where lost deals turn, in one sentence (None before any turn was seen): the stage
    most of them turned in, how many of those whose turn was seen, the share, a median
    how many days after creation, then the next two stages."""
    if turns.height == 0:
        return None
    seen = int(turns["deals"].sum())
    rows = turns.rows(named=True)
    first = rows[0]
    stage = first["stage"] or "no stage"
    line = (
        f"Lost deals turn most often in {stage}: {counted(first['deals'], 'lost deal')} of "
        f"the {seen:,} whose turn was seen ({percent_text(first['share'])})"
    )
    days = first["median_days_to_turn"]
    if days is not None:
        line += f", a median {counted(round(days), 'day')} after they were created"
    after = [f"{r['stage'] or 'no stage'} ({percent_text(r['share'])})" for r in rows[1:3]]
    return line + (f"; then {' and '.join(after)}." if after else ".")


def _plain(frame: pl.DataFrame) -> list[dict[str, Any]]:
    rows = frame.to_dicts()
    for row in rows:
        for key, value in row.items():
            if isinstance(value, float) and math.isnan(value):
                row[key] = None
    return rows


def insights_json(found: Insights) -> dict[str, Any]:
    """The insights as JSON-ready data."""
    return {
        "as_of": iso_utc(found.as_of),
        "closed_deals": found.closed,
        "won_deals": found.won,
        "open_deals": found.open_deals,
        "win_rates": _plain(found.rates),
        "funnel": _plain(found.funnel),
        "facts": _plain(found.facts),
        "lost_deals_turn": _plain(found.turns),
        "lost_deals_turn_in_words": turn_headline(found.turns),
    }
