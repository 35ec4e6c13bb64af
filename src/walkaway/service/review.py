"""The pipeline review as of a date: every open deal assessed, most urgent first, and
the summary.

The team's norms come from :mod:`walkaway.service.norms` (learned once per import, or
once per as-of day before the data's horizon, and kept in the store), the pipeline from
:mod:`walkaway.service.reading` (the columnar copy, a batch of open deals at a time), the
win model from :mod:`walkaway.service.model_lookup`. One deal is
:mod:`walkaway.service.deal`'s; writing the review out, :mod:`walkaway.service.export`'s.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import polars as pl

from walkaway import lazy
from walkaway.bounds import SKIPPED_SCHEMA, out_of_bounds, without
from walkaway.decision.assess import assess_frame, most_urgent_first
from walkaway.journal.scorecard import overlay_decisions
from walkaway.learning.prior import PriorModel
from walkaway.models import Pipeline, Recommendation, empty_activities, empty_deals
from walkaway.service.decisions import human_decisions
from walkaway.service.model_lookup import model_for
from walkaway.service.norms import cached_norms, learn_norms, learn_norms_from_copy, norms_key
from walkaway.service.notes import review_notes
from walkaway.service.pipeline import current_policy
from walkaway.service.reading import BATCH_DEALS, load_pipeline, open_batches
from walkaway.store import Store
from walkaway.store.columnar import ensure_copy, open_at
from walkaway.wording import printable

if TYPE_CHECKING:
    import sqlalchemy as sa

    from walkaway.store import schema
else:
    sa = lazy.module("sqlalchemy")
    schema = lazy.module("walkaway.store.schema")

if TYPE_CHECKING:
    from walkaway.learning.prior import WinModel
    from walkaway.signals.norms import Norms


@dataclass(frozen=True)
class Review:
    """Every open deal as of a date, most urgent first, and the summary of the pipeline."""

    as_of: datetime
    deals: pl.DataFrame  # walkaway.decision.assess.ASSESSMENT_COLUMNS
    summary: dict[str, Any]
    # open deals holding a value past its limit, not assessed: walkaway.bounds.SKIPPED_SCHEMA
    skipped: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=SKIPPED_SCHEMA))


# The newest id of each table whose rows change a review (a decision sticks beside the
# data's call), and of the model in force: see store_version.
_STORE_VERSION = """
SELECT (SELECT coalesce(max(id), 0) FROM import_runs),
       (SELECT coalesce(max(id), 0) FROM policies),
       (SELECT coalesce(max(id), 0) FROM decisions),
       (SELECT coalesce(max(id), 0) FROM probability_models WHERE active)
"""
_DECISIONS_PART = 2


def same_assessments(version: tuple[int, ...], other: tuple[int, ...]) -> bool:
    """Do two store versions assess every deal the same? They may differ in the newest
    decision alone: a person's decision sits beside the data's, it changes no number."""
    if len(version) != len(other) or len(version) <= _DECISIONS_PART:
        return False
    return assessing_part(version) == assessing_part(other)


def assessing_part(version: tuple[int, ...]) -> tuple[int, ...]:
    """The parts of a store version (:func:`store_version`) that change assessments:
    all but the newest decision."""
    return version[:_DECISIONS_PART] + version[_DECISIONS_PART + 1 :]


def store_version(store: Store) -> tuple[int, ...]:
    """What a review as of a given moment depends on, as numbers: the newest import run,
    policy and decision, and the model in force (0 for none). Anything that changes an
    assessment changes one of them, whoever wrote it."""
    with store.rows() as rows:
        row = rows(_STORE_VERSION)[0]
    return tuple(int(v) for v in row)


def _matches(column: str, wanted: str | None) -> pl.Expr:
    if not wanted:
        return pl.lit(True)
    return pl.col(column).str.to_lowercase() == wanted.lower()


def filter_deals(frame: pl.DataFrame, owner: str | None, stage: str | None) -> pl.DataFrame:
    """The review's deals of one rep and one stage (each: the exact name, any case)."""
    return frame.filter(_matches("owner", owner) & _matches("stage", stage))


def screened(pipeline: Pipeline, as_of: datetime) -> tuple[Pipeline, pl.DataFrame]:
    """``pipeline`` without the deals that hold a value past its limit (a store written
    to by hand, or by a Walkaway older than the import's checks), and those of them open
    at ``as_of``: a review skips them and says why, rather than fail or sum nonsense."""
    skipped = out_of_bounds(pipeline.deals, pipeline.activities)
    if skipped.height == 0:
        return pipeline, skipped
    opened = pipeline.deals.filter(open_at(as_of))["deal_id"].implode()
    kept = Pipeline(*without(pipeline.deals, pipeline.activities, skipped))
    return kept, skipped.filter(pl.col("deal_id").is_in(opened))


def left_out_of_norms(norms: Norms, skipped: pl.DataFrame) -> pl.DataFrame:
    """The deals the ``norms`` were learned without for a value past its limit (closed
    ones: an open one is among the review's ``skipped`` already), as the review names
    its skipped deals."""
    left_out = norms.skipped.join(skipped.select("deal_id"), on="deal_id", how="anti")
    return left_out.with_columns(pl.col("why") + " (left out of the team's norms)")


def skipped_deals(skipped: pl.DataFrame) -> list[dict[str, str]]:
    """The summary's ``skipped``: each deal's id and why, the line a person reads
    ("D-17 skipped: activity hours 1e20 beyond the 1,000-hour limit")."""
    rows = skipped.select("deal_id", "why").rows()
    return [
        {"deal_id": d, "reason": why, "line": f"{printable(d)} skipped: {why}"} for d, why in rows
    ]


def with_human_decisions(store: Store, frame: pl.DataFrame, as_of: datetime) -> pl.DataFrame:
    """The people's decisions beside the data's: they stick, and disagreement is said."""
    return overlay_decisions(frame, human_decisions(store, as_of))


@dataclass(frozen=True)
class Assessed:
    """A review before the people's decisions are put beside the data's calls: what an
    import, a policy, a training or the moment change, and a decision does not (see
    :func:`same_assessments`). :func:`finished` makes it the :class:`Review`."""

    as_of: datetime
    deals: pl.DataFrame  # walkaway.decision.assess.ASSESSMENT_COLUMNS, most urgent first
    skipped: pl.DataFrame  # walkaway.bounds.SKIPPED_SCHEMA
    notes: list[str]
    model: dict[str, str]  # walkaway.service.model_lookup.ModelInForce.to_dict()
    currency: str  # the policy's, for a summary of no open deal


def review(
    store: Store,
    as_of: datetime,
    *,
    owner: str | None = None,
    stage: str | None = None,
    batch_deals: int = BATCH_DEALS,
    columnar: bool = True,
) -> Review:
    """The pipeline review: every deal open at ``as_of``, filtered by rep and stage.

    Norms and yield come from the whole team's history whatever the filter. From the
    columnar copy (unless not ``columnar``), the open deals are assessed ``batch_deals``
    at a time (:func:`walkaway.service.reading.open_batches`).
    """
    found = assess_review(
        store, as_of, owner=owner, stage=stage, batch_deals=batch_deals, columnar=columnar
    )
    return finished(store, found)


def assess_review(
    store: Store,
    as_of: datetime,
    *,
    owner: str | None = None,
    stage: str | None = None,
    batch_deals: int = BATCH_DEALS,
    columnar: bool = True,
) -> Assessed:
    """:func:`review` without the people's decisions (:class:`Assessed`)."""
    policy = current_policy(store)
    key = norms_key(store, as_of, policy)  # first: see norms_key
    norms = cached_norms(store, key)
    found = model_for(store, as_of)
    model: WinModel | None = found.model
    copy = ensure_copy(store) if columnar else None
    frame = None
    skipped: list[pl.DataFrame] = []
    if copy is not None:
        with suppress(FileNotFoundError):  # removed under us: read the store instead
            if norms is None:
                norms = learn_norms_from_copy(store, key, policy, copy)
            if model is None:  # the prior needs the norms only: fitted once for every batch
                nothing = Pipeline(empty_deals(), empty_activities())
                model = PriorModel(policy).fit(nothing, as_of, norms=norms)
            frames = []
            for batch in open_batches(copy, as_of, batch_deals):
                kept, gone = screened(batch, as_of)
                skipped.append(gone)
                frames.append(assess_frame(kept, as_of, policy, model, norms=norms, readiness=True))
            # each batch comes most urgent first: one alone is in the review's order
            frame = frames[0] if len(frames) == 1 else most_urgent_first(pl.concat(frames))
    if frame is None:
        loaded = load_pipeline(store, as_of, open_only=norms is not None, columnar=False)
        pipeline, gone = screened(loaded, as_of)
        skipped = [gone]
        if norms is None:  # the norms leave the deals past a limit out, and name them
            norms = learn_norms(store, key, policy, loaded)
        frame = assess_frame(pipeline, as_of, policy, model, norms=norms, readiness=True)
    frame = filter_deals(frame, owner, stage)
    assert norms is not None  # learned on either path
    notes = review_notes(frame, norms, as_of, policy)
    gone = pl.concat([pl.DataFrame(schema=SKIPPED_SCHEMA), *skipped])
    gone = filter_deals(pl.concat([gone, left_out_of_norms(norms, gone)]), owner, stage)
    return Assessed(as_of, frame, gone, notes, found.to_dict(), policy.currency)


def finished(store: Store, assessed: Assessed) -> Review:
    """The review of ``assessed``: the people's decisions as the store holds them now
    beside the data's calls, and the summary."""
    frame = with_human_decisions(store, assessed.deals, assessed.as_of)
    summary = {
        **summarise(frame, assessed.currency),
        "model": assessed.model,
        "notes": assessed.notes,
        "skipped": skipped_deals(assessed.skipped),
    }
    return Review(assessed.as_of, frame, summary, assessed.skipped)


def _human_counts(frame: pl.DataFrame) -> dict[str, int]:
    if "human_decision" not in frame.columns:
        return {"human_decisions": 0, "data_disagrees": 0}
    return {
        "human_decisions": int(frame["human_decision"].is_not_null().sum()),
        "data_disagrees": int(frame["data_disagrees"].fill_null(False).sum()),
    }


def summarise(frame: pl.DataFrame, currency: str) -> dict[str, Any]:
    """Deals per recommendation, value held by walk-away candidates, and the forecast.

    Money is never summed across currencies: ``by_currency`` has the figures of each
    currency the open deals are in (the largest pipeline first), and the headline
    figures are those of the first, named by ``currency`` (``currency``, the policy's,
    when there is no open deal).
    """
    counts = dict(frame.group_by("recommendation").len().iter_rows())
    by_currency = _money_by_currency(frame, currency)
    main = by_currency[0] if by_currency else _money_figures(frame.clear(), currency)
    walk = pl.col("recommendation") == Recommendation.WALK_AWAY.value
    hours = frame.select(pl.col("hours_needed").filter(walk).sum()).item()
    return {
        **main,
        "open_deals": frame.height,
        "by_recommendation": {r.value: int(counts.get(r.value, 0)) for r in Recommendation},
        "by_currency": by_currency,
        "hours_freed_by_walking_away": round(float(hours or 0.0), 1),
        **_human_counts(frame),
    }


def _money_by_currency(frame: pl.DataFrame, default: str) -> list[dict[str, Any]]:
    """:func:`_money_figures` of each currency, the largest open pipeline first."""
    code = pl.col("currency").fill_null(default)
    groups = frame.with_columns(code.alias("currency")).partition_by("currency", as_dict=True)
    figures = [_money_figures(part, str(key[0])) for key, part in groups.items()]
    return sorted(figures, key=lambda f: (-f["open_value"], f["currency"]))


def _money_figures(frame: pl.DataFrame, currency: str) -> dict[str, Any]:
    """The open pipeline, the value held by walk-away candidates and the forecast, with
    and without them, of deals in one currency."""
    walk = pl.col("recommendation") == Recommendation.WALK_AWAY.value
    weighted = pl.col("win_probability") * pl.col("amount").fill_null(0)
    totals = frame.select(
        pl.len().alias("open_deals"),
        pl.col("amount").sum().alias("open_value"),
        pl.col("amount").filter(walk).sum().alias("walk_away_value"),
        weighted.sum().alias("forecast"),
        weighted.filter(~walk).sum().alias("forecast_without_walk_aways"),
    ).row(0, named=True)
    open_value = float(totals["open_value"] or 0.0)
    walk_value = float(totals["walk_away_value"] or 0.0)
    return {
        "currency": currency,
        "open_deals": int(totals["open_deals"]),
        "open_value": round(open_value, 2),
        "walk_away_value": round(walk_value, 2),
        "pipeline_pollution": round(walk_value / open_value, 4) if open_value else 0.0,
        "forecast": round(float(totals["forecast"] or 0.0), 2),
        "forecast_without_walk_aways": round(
            float(totals["forecast_without_walk_aways"] or 0.0), 2
        ),
    }
