"""A deal's win probability over time: its assessment at weekly cuts before the as-of date."""

from __future__ import annotations

from datetime import datetime, timedelta

from walkaway.journal.loss.timeline import assess_cuts
from walkaway.models import Assessment
from walkaway.web.cache import CachedReview, Loaded, ReviewCache
from walkaway.web.charts import HistoryPoint

WEEKS = 12


def _cuts(as_of: datetime, created_at: datetime, weeks: int) -> list[datetime]:
    """Weekly moments before ``as_of``, oldest first, none before the deal existed."""
    cuts = [as_of - timedelta(weeks=k) for k in range(1, weeks)]
    return sorted(cut for cut in cuts if cut > created_at)


def _earlier_points(loaded: Loaded, deal_id: str, cuts: list[datetime]) -> tuple[HistoryPoint, ...]:
    timeline = assess_cuts(loaded.pipeline, cuts, loaded.policy, deal_ids=[deal_id])
    return tuple(
        HistoryPoint(
            row["cut"].date(), row["win_probability"], row["recommendation"], row["walk_away_line"]
        )
        for row in timeline.iter_rows(named=True)
    )


def walk_away_line(a: Assessment) -> float | None:
    """The probability below which the economics say walk away (as the loss review's)."""
    e = a.economics
    if not e.value or e.value <= 0:
        return None
    return min(1.0, e.walk_away_rate * e.hours_needed / e.value)


def probability_history(
    cache: ReviewCache,
    cached: CachedReview,
    deal_id: str,
    as_of: datetime,
    created_at: datetime,
    weeks: int = WEEKS,
) -> list[HistoryPoint]:
    """Up to ``weeks`` weekly points, the last one the assessment shown on the page.

    Each earlier point assesses this one deal with the team's norms at that moment (on
    the already loaded pipeline, with the loss review's ``assess_cuts``); the result is
    kept until the store changes.
    """
    cuts = _cuts(as_of, created_at, weeks)
    earlier = cache.remember(
        ("history", deal_id, as_of, weeks),
        lambda: _earlier_points(cache.loaded(), deal_id, cuts),
        lambda points: 200 * len(points) + 200,
    )
    now = cached.assessment(deal_id)
    if now is None:
        return list(earlier)
    last = HistoryPoint(
        as_of.date(), now.win_probability, now.recommendation.value, walk_away_line(now)
    )
    return [*earlier, last]
