"""How the learned model is validated: on time when the closes spread out, else in folds.

Every split keeps a deal's looks together: never one deal in training and in test.

- **On time** (the closes spread over at least :data:`MIN_CLOSE_DAYS` days and no day
  holds more than :data:`MAX_DAY_SHARE` of them): the closed deals in order of their
  close date are cut into :data:`BLOCKS` equal blocks, the oldest first; block k is
  scored by a model trained on the blocks before it (k = 1..4). The latest block is the
  one the card reports: never trained on, the closest to what comes next.
- **In grouped, stratified folds** (every close on one date, as in a one-off export, or
  bunched on a few): the deals (not the looks) are dealt into :data:`BLOCKS` folds of
  about equal size and share won (scikit-learn's ``StratifiedKFold``, seeded), and each
  deal's looks follow it; each fold is scored by
  a model trained on the others, and the card reports all of them. A time split would
  order such deals by nothing real.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import polars as pl
from sklearn.model_selection import StratifiedKFold


class Scheme(StrEnum):
    """How the learned model is validated (module docstring)."""

    TIME = "time"
    GROUPED = "grouped"


TIME, GROUPED = Scheme.TIME, Scheme.GROUPED
BLOCKS = 5
MIN_CLOSE_DAYS = 2 * BLOCKS
MAX_DAY_SHARE = 0.25
SEED = 20_240_601


@dataclass(frozen=True)
class Folds:
    """Each look's block (on time, 0 = the oldest) or fold (grouped), and the scheme."""

    scheme: Scheme
    fold: np.ndarray
    count: int

    def splits(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """``(train, test)`` masks of every split that scores looks out of sample."""
        if self.scheme == TIME:
            return [(self.fold < k, self.fold == k) for k in range(1, self.count)]
        return [(self.fold != k, self.fold == k) for k in range(self.count)]

    def scored(self) -> np.ndarray:
        """Looks some split scores out of sample (on time, all but the oldest block)."""
        return self.fold >= 1 if self.scheme == TIME else np.ones(self.fold.size, dtype=bool)

    def reported(self) -> np.ndarray:
        """Looks the card's validation is computed on."""
        if self.scheme == TIME:
            last: np.ndarray = self.fold == self.count - 1
            return last
        return self.scored()

    def stack_splits(self, scored: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """Where the stack is judged, over the scored looks: on time, fitted on the blocks
        before the latest and judged on it; in folds, each fold in turn."""
        fold = self.fold[scored]
        if self.scheme == TIME:
            last = self.count - 1
            return [(fold < last, fold == last)]
        return [(fold != k, fold == k) for k in range(self.count)]

    def describe(self) -> str:
        if self.scheme == TIME:
            return (
                f"on time: the closed deals in {self.count} blocks by close date, each scored "
                "by a model trained on the blocks before it; the latest block reported"
            )
        return (
            f"in {self.count} grouped, stratified folds (the closes do not spread out in "
            "time: a time split would order the deals by nothing real); a deal's looks are "
            "never split"
        )


def make_folds(rows: pl.DataFrame) -> Folds:
    """The folds of the looks ``rows`` (``deal_id``, ``closed_at``, ``won``)."""
    deals = rows.select("deal_id", "closed_at", "won").unique("deal_id").sort("deal_id")
    days = deals["closed_at"].dt.date()
    spread = days.n_unique() >= MIN_CLOSE_DAYS and (
        days.value_counts()["count"].max() <= MAX_DAY_SHARE * deals.height  # type: ignore[operator]
    )
    if spread:
        order = deals.sort("closed_at", "deal_id").with_row_index("rank")
        block = (pl.col("rank") * BLOCKS // max(order.height, 1)).clip(upper_bound=BLOCKS - 1)
        assigned = order.select("deal_id", block.cast(pl.Int64).alias("fold"))
        return Folds(TIME, _per_look(rows, assigned), BLOCKS)
    won = deals["won"].to_numpy()
    count = int(max(2, min(BLOCKS, won.sum(), (1 - won).sum())))
    splitter = StratifiedKFold(n_splits=count, shuffle=True, random_state=SEED)
    fold = np.zeros(deals.height, dtype=np.int64)
    for k, (_, test) in enumerate(splitter.split(np.zeros(deals.height), won)):
        fold[test] = k  # dealt per deal: its looks follow it
    assigned = deals.select("deal_id").with_columns(pl.Series("fold", fold))
    return Folds(GROUPED, _per_look(rows, assigned), count)


def _per_look(rows: pl.DataFrame, assigned: pl.DataFrame) -> np.ndarray:
    looked = rows.select("deal_id").join(assigned, on="deal_id", how="left", maintain_order="left")
    result: np.ndarray = looked["fold"].to_numpy().astype(np.int64)
    return result
