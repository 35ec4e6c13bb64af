"""Assessing the stored pipeline as of a date: the review, one deal, its exit message.

The team's norms come from :mod:`walkaway.service.norms` (learned once per import, or
once per as-of day before the data's horizon, and kept in the store), the pipeline from
:mod:`walkaway.service.reading` (the columnar copy, a batch of open deals at a time).
``show`` reads one deal and its activities from the store, through the index.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, BinaryIO, TypeVar

import polars as pl
import sqlalchemy as sa

from walkaway.errors import InputError, NotFound
from walkaway.models import (
    Assessment,
    Pipeline,
    Recommendation,
    as_utc_naive,
)
from walkaway.policy import Policy, load_policy
from walkaway.service.norms import (
    NORMS_FORMAT,
    NormsKey,
    cache_norms,
    cached_norms,
    learn_norms,
    norms_day,
    norms_key,
    team_norms,
)
from walkaway.service.pipeline import stored_policy_text
from walkaway.service.reading import BATCH_DEALS, load_pipeline, open_batches
from walkaway.store import Store
from walkaway.store.columnar import ensure_copy, read_pipeline
from walkaway.store.frames import load_activities, load_deals, one_of
from walkaway.store.schema import deals

if TYPE_CHECKING:
    from concurrent.futures import Future

T = TypeVar("T")

__all__ = [
    "NORMS_FORMAT",
    "NormsKey",
    "Review",
    "cache_norms",
    "cached_norms",
    "current_policy",
    "load_pipeline",
    "norms_day",
    "norms_key",
    "review",
    "show",
    "team_norms",
]


def current_policy(store: Store) -> Policy:
    """The team's stored policy, or the default one."""
    return load_policy(stored_policy_text(store))


@dataclass(frozen=True)
class Review:
    """Every open deal as of a date, most urgent first, and the summary of the pipeline."""

    as_of: datetime
    deals: pl.DataFrame  # walkaway.decision.assess.ASSESSMENT_COLUMNS
    summary: dict[str, Any]


def _matches(column: str, wanted: str | None) -> pl.Expr:
    if not wanted:
        return pl.lit(True)
    return pl.col(column).str.to_lowercase() == wanted.lower()


def model_for(store: Store, as_of: datetime) -> Any:
    """The trained win model in force, if it learned only from deals closed before
    ``as_of``; otherwise None, and the engine fits its prior as of ``as_of`` (a model
    trained later has seen outcomes that were not known then)."""
    from walkaway.store.schema import probability_models

    with store.connect() as conn:
        kind = conn.execute(
            sa.select(probability_models.c.kind)
            .where(probability_models.c.active)
            .order_by(probability_models.c.id.desc())
            .limit(1)
        ).scalar()
    if kind is None or kind == "prior":  # learning_card.PRIOR: nothing learned to load
        return None
    from walkaway.service.models import active_model  # LightGBM loads only when needed

    found = active_model(store)
    if found is None:
        return None
    model, card = found
    return model if card.until <= as_utc_naive(as_of) else None


def with_human_decisions(store: Store, frame: pl.DataFrame, as_of: datetime) -> pl.DataFrame:
    """The people's decisions beside the data's: they stick, and disagreement is said."""
    from walkaway.journal.scorecard import overlay_decisions
    from walkaway.service.decisions import human_decisions

    return overlay_decisions(frame, human_decisions(store, as_of))


def readiness_of(row: pl.DataFrame) -> dict[str, Any]:
    """The readiness of a one-deal review frame, as ``show`` reports it."""
    ready, missing = row.select("ready_to_advance", "missing_criteria").row(0)
    return {"ready_to_advance": bool(ready), "missing_criteria": list(missing or [])}


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
    from walkaway.decision.assess import assess_frame, most_urgent_first
    from walkaway.learning.prior import PriorModel
    from walkaway.models import empty_activities, empty_deals

    policy = current_policy(store)
    key = norms_key(store, as_of, policy)  # first: see norms_key
    norms = cached_norms(store, key)
    model = model_for(store, as_of)
    copy = ensure_copy(store) if columnar else None
    frame = None
    if copy is not None:
        with suppress(FileNotFoundError):  # removed under us: read the store instead
            if norms is None:
                everything = Pipeline(*read_pipeline(copy, as_of))
                norms = learn_norms(store, key, policy, everything)
                del everything
            if model is None:  # the prior needs the norms only: fitted once for every batch
                nothing = Pipeline(empty_deals(), empty_activities())
                model = PriorModel(policy).fit(nothing, as_of, norms=norms)
            frames = [
                assess_frame(batch, as_of, policy, model, norms=norms, readiness=True)
                for batch in open_batches(copy, as_of, batch_deals)
            ]
            frame = most_urgent_first(pl.concat(frames, how="vertical"))
    if frame is None:
        pipeline = load_pipeline(store, as_of, open_only=norms is not None, columnar=False)
        if norms is None:
            norms = learn_norms(store, key, policy, pipeline)
        frame = assess_frame(pipeline, as_of, policy, model, norms=norms, readiness=True)
    frame = frame.filter(_matches("owner", owner) & _matches("stage", stage))
    frame = with_human_decisions(store, frame, as_of)
    return Review(as_of, frame, summarise(frame, policy.currency))


def _human_counts(frame: pl.DataFrame) -> dict[str, int]:
    if "human_decision" not in frame.columns:
        return {"human_decisions": 0, "data_disagrees": 0}
    return {
        "human_decisions": int(frame["human_decision"].is_not_null().sum()),
        "data_disagrees": int(frame["data_disagrees"].fill_null(False).sum()),
    }


def summarise(frame: pl.DataFrame, currency: str) -> dict[str, Any]:
    """Deals per recommendation, value held by walk-away candidates, and the forecast."""
    walk = pl.col("recommendation") == Recommendation.WALK_AWAY.value
    weighted = (pl.col("win_probability") * pl.col("amount").fill_null(0)).sum()
    totals = frame.select(
        pl.len().alias("open_deals"),
        pl.col("amount").sum().alias("open_value"),
        pl.col("amount").filter(walk).sum().alias("walk_away_value"),
        weighted.alias("forecast"),
        (pl.col("win_probability") * pl.col("amount").fill_null(0))
        .filter(~walk)
        .sum()
        .alias("forecast_without_walk_aways"),
        pl.col("hours_needed").filter(walk).sum().alias("hours_freed_by_walking_away"),
    ).row(0, named=True)
    counts = dict(frame.group_by("recommendation").len().iter_rows())
    by_recommendation = {r.value: int(counts.get(r.value, 0)) for r in Recommendation}
    open_value = float(totals["open_value"] or 0.0)
    walk_value = float(totals["walk_away_value"] or 0.0)
    return {
        "currency": currency,
        "open_deals": int(totals["open_deals"]),
        "by_recommendation": by_recommendation,
        "open_value": round(open_value, 2),
        "walk_away_value": round(walk_value, 2),
        "pipeline_pollution": round(walk_value / open_value, 4) if open_value else 0.0,
        "forecast": round(float(totals["forecast"] or 0.0), 2),
        "forecast_without_walk_aways": round(
            float(totals["forecast_without_walk_aways"] or 0.0), 2
        ),
        "hours_freed_by_walking_away": round(
            float(totals["hours_freed_by_walking_away"] or 0.0), 1
        ),
        **_human_counts(frame),
    }


@dataclass(frozen=True)
class DealView:
    """One deal as of a date: its assessment, its stored row and its timeline."""

    assessment: Assessment
    deal: dict[str, Any]
    timeline: pl.DataFrame  # activities before as_of, newest last
    # the latest human decision (overlay_decisions' columns), or None
    human: dict[str, Any] | None = None
    # ready_to_advance and the missing exit criteria of the deal's current stage
    readiness: dict[str, Any] | None = None


def _stored_deal(store: Store, deal_id: str, as_of: datetime) -> pl.DataFrame:
    """The deal's row, if it existed at ``as_of``."""
    with store.connect() as conn:
        stored = load_deals(conn, deals.c.deal_id == deal_id)
    if stored.height == 0:
        raise NotFound(f"no deal with id {deal_id!r}; `walkaway deals` lists the stored ones")
    created = stored["created_at"][0]
    if created >= as_utc_naive(as_of):
        raise InputError(
            f"deal {deal_id!r} was created on {created:%Y-%m-%d}, after the as-of "
            f"date {as_of:%Y-%m-%d}; pick a later --as-of"
        )
    return stored


def _assess_stored(
    store: Store, stored: pl.DataFrame, as_of: datetime, *, readiness: bool = False
) -> tuple[pl.DataFrame, pl.DataFrame, Policy]:
    """The assessment of the ``stored`` deal rows as of ``as_of`` (with the team's norms,
    cached for the day), their activities before it, and the policy used. Only these
    deals' activities are read, once the norms of the day are cached."""
    from walkaway.decision.assess import assess_frame

    ids = stored["deal_id"].to_list()
    policy = current_policy(store)
    norms = team_norms(store, norms_key(store, as_of, policy), policy)
    with store.connect() as conn:
        timeline = load_activities(conn, deal_ids=ids, before=as_of)
    model = model_for(store, as_of)
    frame = assess_frame(
        Pipeline(stored, timeline),
        as_of,
        policy,
        model,
        deal_ids=ids,
        norms=norms,
        readiness=readiness,
    )
    return frame, timeline, policy


def show(store: Store, deal_id: str, as_of: datetime) -> DealView:
    """Assess one deal (with the team's norms) as of ``as_of``."""
    from walkaway.decision.assess import assessments_from_frame

    stored = _stored_deal(store, deal_id, as_of)
    frame, timeline, _policy = _assess_stored(store, stored, as_of, readiness=True)
    row = stored.row(0, named=True)
    if frame.height == 0:
        raise InputError(
            f"deal {deal_id!r} was already closed ({row['outcome']}) before {as_of:%Y-%m-%d}; "
            "only open deals are assessed (`walkaway loss-review` looks back at lost ones)"
        )
    return DealView(
        assessments_from_frame(frame.drop("ready_to_advance", "missing_criteria"))[0],
        row,
        timeline,
        human=human_row(with_human_decisions(store, frame, as_of)),
        readiness=readiness_of(frame),
    )


HUMAN_COLUMNS = (
    "human_decision",
    "human_reason",
    "decided_by",
    "decided_at",
    "data_disagrees",
    "disagreement",
)


def human_row(frame: pl.DataFrame) -> dict[str, Any] | None:
    """The person's decision on a one-deal review frame (with_human_decisions'), or None."""
    row = frame.select(HUMAN_COLUMNS).row(0, named=True)
    return None if row["human_decision"] is None else row


def human_json(human: dict[str, Any] | None) -> dict[str, Any] | None:
    if human is None:
        return None
    data = dict(human)
    data["decided_at"] = data["decided_at"].isoformat() if data["decided_at"] else None
    return data


def deal_view_json(view: DealView) -> dict[str, Any]:
    """The JSON of ``walkaway show --format json`` and of ``GET /api/deals/{id}``."""
    data = view.assessment.to_dict()
    data["human_decision"] = human_json(view.human)
    data["readiness"] = view.readiness
    data["as_of_timeline"] = json.loads(
        view.timeline.with_columns(pl.col("at").dt.strftime("%Y-%m-%dT%H:%M:%S")).write_json()
    )
    return data


def exit_message(store: Store, deal_id: str, as_of: datetime, tone: str = "warm") -> str:
    """A draft email to the buyer that walks away well."""
    from walkaway.decision.messages import draft_exit_message

    if tone not in {"warm", "direct"}:
        raise InputError(f"unknown tone {tone!r}; expected warm or direct")
    view = show(store, deal_id, as_of)
    return draft_exit_message(
        view.assessment, view.deal, tone=tone, templates=current_policy(store)
    )


def exit_messages(
    store: Store, deal_ids: Sequence[str], as_of: datetime, tone: str = "warm"
) -> dict[str, str]:
    """:func:`exit_message` for many deals in one pass: one read of their rows and
    activities, one assessment. Deals that were not open at ``as_of`` (or did not exist
    yet) get no message."""
    from walkaway.decision.assess import assessments_from_frame
    from walkaway.decision.messages import draft_exit_message

    if tone not in {"warm", "direct"}:
        raise InputError(f"unknown tone {tone!r}; expected warm or direct")
    wanted = sorted(set(deal_ids))
    if not wanted:
        return {}
    with store.connect() as conn:
        stored = load_deals(
            conn, one_of(conn, deals.c.deal_id, wanted) & (deals.c.created_at < as_of)
        )
    if stored.height == 0:
        return {}
    frame, _timeline, policy = _assess_stored(store, stored, as_of)
    rows = {row["deal_id"]: row for row in stored.iter_rows(named=True)}
    return {
        assessment.deal_id: draft_exit_message(
            assessment, rows[assessment.deal_id], tone=tone, templates=policy
        )
        for assessment in assessments_from_frame(frame)
    }


def assessments_json(
    frame: pl.DataFrame, columns: Sequence[str] | None = None
) -> list[dict[str, Any]]:
    """The review's deals as JSON-ready dicts (dates as ISO text), in one columnar pass."""
    if columns is not None:
        frame = frame.select(columns)
    rows: list[dict[str, Any]] = json.loads(frame.write_json())
    return rows


# Rows a review writes out at a time: the text of one slice is in memory, never that of
# a whole pipeline (3 GB for a million deals).
WRITE_ROWS = 20_000


def write_review_json(result: Review, out: BinaryIO, *, rows: int = WRITE_ROWS) -> None:
    """The review as one JSON object in UTF-8 onto ``out``, ``{"as_of": ..., "deals":
    [...], "summary": {...}}``, ``rows`` deals at a time; list fields are lists even
    when empty.

    Polars writes the deals in one pass, straight into the bytes that go out (turning
    100,000 nested rows into Python objects and back, what ``json.dumps`` of
    :func:`assessments_json` does, took ten times longer; so does a detour through text).
    """
    as_of = json.dumps(result.as_of.isoformat())
    summary = json.dumps(result.summary, ensure_ascii=False)
    out.write(f'{{"as_of": {as_of}, "deals": ['.encode())
    lists = [
        pl.col(n).fill_null(pl.lit([], dtype=t))
        for n, t in result.deals.schema.items()
        if isinstance(t, pl.List)
    ]

    def piece(start: int) -> bytes:
        text = io.BytesIO()
        result.deals.slice(start, rows).with_columns(lists).write_json(text)
        return text.getvalue()

    for index, text in enumerate(made_ahead(piece, range(0, result.deals.height, rows))):
        if index:
            out.write(b",")
        out.write(memoryview(text)[1:-1])  # "[{...},{...}]": its rows go in the one array
    out.write(f'], "summary": {summary}}}'.encode())


def made_ahead(make: Callable[[int], T], keys: Iterable[int], ahead: int = 2) -> Iterator[T]:
    """``make(key)`` for each key, in order, made on ``ahead`` threads while the caller
    writes the one before: Polars lets go of the interpreter while it writes, so the two
    cores share the work. At most ``ahead + 1`` results are made or being made at a time
    (memory stays that of a few slices, whatever the pipeline's size)."""
    from collections import deque
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(ahead, thread_name_prefix="walkaway-write") as pool:
        waiting: deque[Future[T]] = deque()
        for key in keys:
            waiting.append(pool.submit(make, key))
            if len(waiting) > ahead:
                yield waiting.popleft().result()
        while waiting:
            yield waiting.popleft().result()


def review_json_bytes(result: Review) -> bytes:
    """:func:`write_review_json` as bytes."""
    out = io.BytesIO()
    write_review_json(result, out)
    return out.getvalue()


def review_json_text(result: Review) -> str:
    """:func:`review_json_bytes` as text."""
    return review_json_bytes(result).decode()


def review_csv(result: Review) -> str:
    """The review as CSV, one row per deal (the API's ``format=csv``): list columns
    joined into text, every cell safe to open in a spreadsheet (no formula runs)."""
    out = io.BytesIO()
    write_review_csv(result, out)
    return out.getvalue().decode()


def write_review_csv(result: Review, out: BinaryIO, *, rows: int = WRITE_ROWS) -> None:
    """:func:`review_csv` onto ``out`` in UTF-8, ``rows`` deals at a time (``walkaway
    review --format csv``)."""
    from walkaway.reporting.spreadsheet import spreadsheet_safe

    for start in range(0, max(result.deals.height, 1), rows):
        flat = _flat(result.deals.slice(start, rows))
        spreadsheet_safe(flat).write_csv(out, include_header=start == 0)


def _flat(deals: pl.DataFrame) -> pl.DataFrame:
    flat = deals.with_columns(
        pl.col("flags").list.eval(pl.element().struct.field("code")).list.join(";"),
        *[
            pl.col(c).list.join(" | ")
            for c in ("reasons", "questions", "reasons_for", "reasons_against")
        ],
    )
    # every other list column (e.g. missing_criteria) as text too
    flat = flat.with_columns(
        pl.col(name).list.join("; ")
        for name, dtype in flat.schema.items()
        if isinstance(dtype, pl.List)
    )
    return flat
