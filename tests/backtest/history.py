"""A hand-built history whose backtest can be worked out on paper.

Two cuts, C1 and C2 = C1 + 14 days. Five deals closed before C1 (two won and two lost
in proposal, one lost in qualification), so the team won 2 of 5 (0.4), proposal 2 of
4 (0.5) and qualification 0 of 1 (0.0). Deals open at a cut (days from C1):

| deal | stage | amount | last touch before C1 | ends | effort after C1 (touches, hours) |
|---|---|---|---|---|---|
| A | proposal | 20,000 | -20 | lost +10 | 2 outbound (1 h each), 1 inbound, a 0.5 h note |
| B | proposal | 50,000 | -3 | won +30 | 1 outbound call, 3 h |
| C | qualification | 20,000 | -30 | lost +5 | 3 outbound emails, 0.5 h each |
| D | proposal | 20,000 | -1 | won +20 | 1 outbound meeting at +1, 2 h |
| E | proposal | 20,000 | -2 | still open | 1 outbound email, 1 h |
| F | proposal | 20,000 | -5 | lost +40 | 1 outbound email at +1 (1 h); one at +45, after the loss |
| G | proposal | 20,000 | created +3 | lost +21 | 1 outbound email at +15, 2 h |

:data:`PROBABILITIES` is what the stand-in model says at each cut: 0.001 walks a deal
away (its value per hour is far below the line), 0.9 does not.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime, timedelta
from typing import Any, Self

import polars as pl

from walkaway.learning.prior import Scores
from walkaway.models import ACTIVITY_SCHEMA, DEAL_SCHEMA, Pipeline
from walkaway.policy import Policy
from walkaway.signals.norms import Norms

C1 = datetime(2024, 6, 1)
C2 = C1 + timedelta(days=14)
LOW, HIGH = 0.001, 0.9

PROBABILITIES: dict[datetime, dict[str, float]] = {
    C1: {"A": LOW, "B": LOW, "C": HIGH, "D": HIGH, "E": LOW, "F": LOW},
    C2: {"B": HIGH, "D": LOW, "E": LOW, "F": HIGH, "G": LOW},
}


def day(offset: float) -> datetime:
    return C1 + timedelta(days=offset)


def deal(
    deal_id: str,
    created: float,
    outcome: str = "open",
    closed: float | None = None,
    stage: str = "proposal",
    amount: float = 20_000.0,
) -> dict[str, Any]:
    return {
        "deal_id": deal_id,
        "name": f"Deal {deal_id}",
        "account": f"Account {deal_id}",
        "owner": "ana",
        "stage": stage,
        "amount": amount,
        "currency": "EUR",
        "created_at": day(created),
        "closed_at": None if closed is None else day(closed),
        "outcome": outcome,
        "margin": 0.7,
        "budget": "confirmed",
        "authority": "economic_buyer",
        "champion": "yes",
        "need": "clear",
        "competitor": "none",
        "discount_requested": 0.05,
        "stakeholders_aligned": "yes",
        "fit": "high",
        "potential": "medium",
    }


def act(
    deal_id: str,
    offset: float,
    kind: str = "email",
    direction: str = "outbound",
    hours: float | None = None,
    stage: str | None = None,
) -> dict[str, Any]:
    return {
        "deal_id": deal_id,
        "at": day(offset),
        "kind": kind,
        "direction": direction,
        "status": "done",
        "hours": hours,
        "stage": stage,
    }


def _closed_before() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    ends = [("H1", "won"), ("H2", "won"), ("H3", "lost"), ("H4", "lost")]
    deals = [deal(i, -120 + n, outcome, -60 + n) for n, (i, outcome) in enumerate(ends)]
    deals.append(deal("H5", -110, "lost", -70, stage="qualification"))
    acts = [
        act(d["deal_id"], -120 + n, "stage_change", "internal", stage=d["stage"])
        for n, d in enumerate(deals)
    ]
    return deals, acts


def _touches() -> list[dict[str, Any]]:
    return [
        act("A", -20),
        act("A", 2, hours=1.0),
        act("A", 4, hours=1.0),
        act("A", 5, direction="inbound"),
        act("A", 6, "note", "internal", hours=0.5),
        act("B", -3, direction="inbound"),
        act("B", 16, "call", hours=3.0),
        act("C", -30),
        act("C", 1, hours=0.5),
        act("C", 2, hours=0.5),
        act("C", 3, hours=0.5),
        act("D", -1, direction="inbound"),
        act("D", 1, "meeting", hours=2.0),
        act("E", -2, direction="inbound"),
        act("E", 3, hours=1.0),
        act("F", -5, direction="inbound"),
        act("F", 1, hours=1.0),
        act("F", 45, hours=1.0),
        act("G", 15, hours=2.0),
    ]


def _open_deals() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    deals = [
        deal("A", -60, "lost", 10),
        deal("B", -60, "won", 30, amount=50_000.0),
        deal("C", -60, "lost", 5, stage="qualification"),
        deal("D", -60, "won", 20),
        deal("E", -60),
        deal("F", -60, "lost", 40),
        deal("G", 3, "lost", 21),
    ]
    entered = [
        act(
            d["deal_id"],
            3 if d["deal_id"] == "G" else -60,
            "stage_change",
            "internal",
            stage=d["stage"],
        )
        for d in deals
    ]
    return deals, entered + _touches()


def hand_built_history() -> Pipeline:
    closed, closed_acts = _closed_before()
    open_, open_acts = _open_deals()
    deals = pl.DataFrame([*closed, *open_], schema=DEAL_SCHEMA)
    acts = pl.DataFrame([*closed_acts, *open_acts], schema=ACTIVITY_SCHEMA)
    return Pipeline(deals, acts)


class FixedModel:
    """A stand-in win model: the probability of each deal is given."""

    def __init__(self, probabilities: Mapping[str, float]) -> None:
        self.probabilities = dict(probabilities)

    def fit(self, pipeline: Pipeline, as_of: datetime, *, norms: Norms | None = None) -> Self:
        return self

    def score(
        self, signals: pl.DataFrame, flags: pl.DataFrame, *, without: Collection[str] = ()
    ) -> Scores:
        p = self.predict_proba(signals, flags)
        return Scores(signals["deal_id"], p, p)

    def predict_proba(self, signals: pl.DataFrame, flags: pl.DataFrame) -> pl.Series:
        return (
            signals["deal_id"]
            .replace_strict(self.probabilities, return_dtype=pl.Float64)
            .alias("win_probability")
        )

    def reasons(self, scores: Scores) -> pl.DataFrame:
        empty = pl.lit([], dtype=pl.List(pl.String))
        return scores.deal_ids.to_frame("deal_id").select(
            "deal_id", empty.alias("reasons_for"), empty.alias("reasons_against")
        )

    def summary(self) -> pl.DataFrame:
        return pl.DataFrame({"deal_id": list(self.probabilities)})

    def walk_away_floor(self) -> float | None:
        return None  # the policy's k alone


def fixed_factory(pipeline: Pipeline, cut: datetime, policy: Policy) -> FixedModel:
    return FixedModel(PROBABILITIES[cut])
