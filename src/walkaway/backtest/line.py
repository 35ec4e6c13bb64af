"""The walk-away line a team can trust: a probability floor set from its own history.

Walking away costs a win when the deal would have been won. Over the looks at closed
deals the trained model saw (each with its probability then, the learned part's score
taken out of sample: :meth:`walkaway.learning.stack.StackedWinModel.history`), a floor
``f`` is replayed as the decision would apply it: a look is walked away from when its
economics say so (p x V / H below k x the rate then, :mod:`walkaway.decision.economics`)
and p is below ``f``; a deal is walked away from at its first such look. Then, counting
deals (not looks):

- **wins sacrificed**: the share of the won deals walked away from;
- **effort saved**: the share of the effort spent on lost deals that came after their
  walk-away — seller hours logged, or days to the close when the team logs no hours;
- **precision**: the share of the walked-away deals that were lost anyway.

The floor in force is the highest one that sacrifices no more than the policy's
``decision.max_wins_sacrificed`` of the wins — with room for chance: the upper end of
the share's 95% interval, since the floor is chosen on the very history it is judged
on — and never above the history's win rate (a
deal likelier than the average deal to be won is never one to walk away from, whatever
the economics: a line a person can act on); the card keeps the trade-off curve at the
quantiles of the probabilities seen.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from walkaway.decision.economics import economics_with_yield
from walkaway.learning.card import CurvePoint, WalkAwayLine
from walkaway.learning.stack import StackedWinModel
from walkaway.policy import Policy

GRID_POINTS = 41
WILSON_Z = 1.645  # one-sided 95%
CURVE_POINTS = 9


def with_line(model: StackedWinModel, policy: Policy) -> StackedWinModel:
    """``model`` with the walk-away line its history sets (as it is, without history)."""
    history = model.history()
    line = walk_away_line(history, policy) if history is not None else None
    return model.with_walk_away_line(line) if line is not None else model


def walk_away_line(history: pl.DataFrame, policy: Policy) -> WalkAwayLine | None:
    """The line of the module docstring; None without both won and lost deals."""
    looks = _mark_walkable(history, policy)
    deals = looks.group_by("deal_id").agg(pl.col("won").first(), pl.col("effort").max())
    won, lost = int(deals["won"].sum()), int((deals["won"] == 0).sum())
    if won == 0 or lost == 0:
        return None
    allowed = policy.decision.max_wins_sacrificed
    highest = _highest_floor(looks, won, allowed)
    base_rate = round(won / deals.height, 4)
    floor = min(highest, base_rate)
    eligible = looks.filter(pl.col("economic"))["p"].to_numpy()
    quantiles = np.quantile(eligible, np.linspace(0, 1, GRID_POINTS)) if eligible.size else []
    grid = sorted({float(q) for q in quantiles if q > 0} | {1.0, floor})
    total_lost = float(deals.filter(pl.col("won") == 0)["effort"].sum()) or 1.0
    curve = [_point(looks, f, won, total_lost) for f in grid]
    point = next(p for p in curve if p.floor == floor)
    return WalkAwayLine(
        floor=point.floor,
        max_wins_sacrificed=allowed,
        point=point,
        effort="hours" if bool(looks["hours_logged"].any()) else "days",
        deals=deals.height,
        curve=_thin_curve(curve, point),
        capped=highest > base_rate,
    )


def _mark_walkable(history: pl.DataFrame, policy: Policy) -> pl.DataFrame:
    """Each look's probability, whether its economics say walk away, and its effort."""
    econ = economics_with_yield(history, history["win_probability"], policy)
    logs_hours = bool((history["hours_after"] > 0).any())
    effort = pl.col("hours_after") if logs_hours else pl.col("days_after")
    return history.select(
        "deal_id",
        "cut",
        pl.col("won").cast(pl.Int64),
        pl.col("win_probability").alias("p"),
        (econ["value_per_hour"] < econ["walk_away_rate"]).fill_null(False).alias("economic"),
        effort.fill_null(0.0).clip(lower_bound=0.0).alias("effort"),
        pl.lit(logs_hours).alias("hours_logged"),
    )


def _highest_floor(looks: pl.DataFrame, won: int, allowed: float) -> float:
    """The highest floor that walks away from at most ``allowed`` of the ``won`` deals,
    with room for chance: the floor is chosen on the history it is judged on, so the
    share sacrificed there must stay under ``allowed`` even at the upper end of its 95%
    interval (Wilson). With few won deals that is none of them. The floor is the lowest
    walkable probability of the won deal just past what may be sacrificed."""
    lowest = (
        looks.filter(pl.col("economic") & (pl.col("won") == 1))
        .group_by("deal_id")
        .agg(pl.col("p").min())["p"]
        .sort()
        .to_list()
    )
    may = _wins_that_may_go(won, allowed)
    return float(lowest[may]) if may < len(lowest) else 1.0


def _wins_that_may_go(won: int, allowed: float) -> int:
    """The most of ``won`` deals that may be walked away from: the largest count whose
    share's one-sided 95% upper bound stays within ``allowed``."""
    counts = np.arange(int(np.floor(allowed * won + 1e-9)) + 1)
    share = counts / won
    z = WILSON_Z
    upper = (
        share + z * z / (2 * won) + z * np.sqrt(share * (1 - share) / won + z * z / (4 * won**2))
    ) / (1 + z * z / won)
    fits = counts[upper <= allowed + 1e-12]
    return int(fits.max()) if fits.size else 0


def _point(looks: pl.DataFrame, floor: float, won: int, total_lost: float) -> CurvePoint:
    first = (
        looks.filter(pl.col("economic") & (pl.col("p") < floor))
        .sort("deal_id", "cut")
        .group_by("deal_id", maintain_order=True)
        .first()
    )
    walked = first.height
    won_walked = int(first["won"].sum())
    saved = float(first.filter(pl.col("won") == 0)["effort"].sum())
    return CurvePoint(
        floor=floor,
        wins_sacrificed=won_walked / won,
        effort_saved=saved / total_lost,
        precision=(walked - won_walked) / walked if walked else None,
        walked=walked,
    )


def _thin_curve(curve: list[CurvePoint], point: CurvePoint) -> tuple[CurvePoint, ...]:
    """About :data:`CURVE_POINTS` points of the curve, always with the policy's."""
    step = max(1, len(curve) // CURVE_POINTS)
    kept = {p.floor: p for p in curve[::step]} | {curve[-1].floor: curve[-1], point.floor: point}
    return tuple(sorted(kept.values(), key=lambda p: p.floor))
