"""Qualification facts that lead to wins: evidence first, then the team's own history.

Part of the team's norms (:mod:`walkaway.signals.norms` learns them once, from the deals
closed before ``as_of``, and caches them with the rest); the prior
(:mod:`walkaway.learning.prior`) adds them to a deal's odds.

A fact is a deal field with a qualifying value (budget, authority, champion, need,
competitor, stakeholders, fit, potential; FORMAT.md). Its weight is a log-odds shift
against "unknown" (which counts 0: not knowing is not the same as "no"):

1. **Evidence.** The policy's ``[probability.facts]`` holds the weights read off
   published win/loss evidence (docs/model.md gives the source of each). The prior adds
   a deal's weights and bounds the sum by ``max_fact_log_odds`` (a soft cap,
   :meth:`FactWeights.total`): no single fact, and no pile of correlated ones, decides.
2. **The team's history.** With closed deals, every weight is re-estimated from them: a
   logistic regression of won/lost on the facts whose prior on each weight is centred
   on the evidence with spread ``fact_spread`` — so a few deals move a weight a little,
   hundreds move it to what this team shows.
3. **Verdicts.** Each fact is judged on the team's closed deals: the win rate of each of
   its values against every other closed deal (``team``: a log odds ratio), and a
   chi-square test of its values (unknown included) against the outcome. ``confirmed``:
   the values' win rates differ (p < 0.05) in the evidence's direction; ``opposite
   here``: they differ the other way; ``no lift here``: they do not differ and their
   spread is under half the evidence's, on 30 deals with the fact known or more — the
   fact then stops counting (weight 0); ``not clear yet``: neither; ``too few deals``
   (under 30 with the fact known) and ``not recorded`` (none) keep the weights.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any

import polars as pl

from walkaway import lazy
from walkaway.models import Outcome
from walkaway.policy import Policy

if TYPE_CHECKING:  # NumPy loads when weights are learned, not for every command
    import numpy as np

    from walkaway import logistic
else:
    np = lazy.module("numpy")
    logistic = lazy.module("walkaway.logistic")

MIN_DEALS_TO_DROP = 30  # closed deals with the fact known before it is judged
NO_LIFT_SHARE = 0.5
CONFIRMED, NO_LIFT, OPPOSITE, UNCLEAR = (
    "confirmed",
    "no lift here",
    "opposite here",
    "not clear yet",
)
TOO_FEW, NOT_RECORDED, EVIDENCE = "too few deals", "not recorded", "evidence only"

# Flags that state a fact: the probability counts the fact's weight, never the flag too.
FACT_FLAGS: Mapping[str, tuple[str, str]] = {
    "no_budget": ("budget", "none"),
    "no_authority": ("authority", "none"),
    "no_champion": ("champion", "no"),
    "unclear_need": ("need", "vague"),
    "no_need": ("need", "none"),
    "poor_fit": ("fit", "low"),
    "competitor": ("competitor", "present"),
    "incumbent_competitor": ("competitor", "incumbent"),
    "stakeholders_misaligned": ("stakeholders_aligned", "no"),
}
# Flags about a fact not known (or not yet confirmed when the policy requires it): they
# ask a question; the probability does not move for them (unknown counts 0).
QUESTION_FLAGS = frozenset(
    {"budget_unknown", "authority_unknown", "need_unknown", "budget_required",
     "decision_maker_required"}
)  # fmt: skip

WORDS: Mapping[tuple[str, str], str] = {
    ("budget", "confirmed"): "Budget confirmed",
    ("budget", "none"): "The buyer has no budget for this",
    ("authority", "economic_buyer"): "The economic buyer is involved",
    ("authority", "decision_maker"): "A decision maker is involved",
    ("authority", "influencer"): "Only an influencer is involved so far",
    ("authority", "none"): "Nobody involved has a say in the purchase",
    ("champion", "yes"): "A champion inside the buyer",
    ("champion", "no"): "No champion inside the buyer",
    ("need", "clear"): "A clear need",
    ("need", "vague"): "The need is vague",
    ("need", "none"): "No need for what we sell",
    ("competitor", "none"): "No competitor in the deal",
    ("competitor", "present"): "A competitor is in the deal",
    ("competitor", "incumbent"): "A competitor is the incumbent supplier",
    ("stakeholders_aligned", "yes"): "The buyer's stakeholders agree",
    ("stakeholders_aligned", "no"): "The buyer's stakeholders do not agree",
    ("fit", "high"): "A close fit with our ideal customer",
    ("fit", "medium"): "A fair fit with our ideal customer",
    ("fit", "low"): "A poor fit for our ideal customer",
    ("potential", "high"): "An account with high long-term potential",
    ("potential", "medium"): "An account with some long-term potential",
    ("potential", "low"): "An account with little long-term potential",
}


@dataclass(frozen=True)
class FactWeight:
    """One value of one fact: the evidence's weight, the one in force, and why."""

    field: str
    value: str
    evidence: float
    weight: float
    deals: int = 0  # closed deals with this value
    won: int = 0
    team: float | None = None  # the history's own estimate (log-odds against unknown)
    team_se: float | None = None
    verdict: str = EVIDENCE

    @property
    def words(self) -> str:
        return WORDS.get((self.field, self.value), f"{self.field}: {self.value}")


@dataclass(frozen=True)
class FactWeights:
    """The weights in force, and the cap on their sum."""

    weights: tuple[FactWeight, ...]
    cap: float

    def mapping(self) -> dict[str, dict[str, float]]:
        table: dict[str, dict[str, float]] = {}
        for w in self.weights:
            table.setdefault(w.field, {})[w.value] = w.weight
        return table

    def columns(self) -> list[pl.Expr]:
        """``fact_<field>``: each deal's weight for each fact (0 when unknown)."""
        return [
            pl.col(field)
            .replace_strict(values, default=0.0, return_dtype=pl.Float64)
            .fill_null(0.0)
            .alias(f"fact_{field}")
            for field, values in self.mapping().items()
        ]

    def total(self) -> pl.Expr:
        """The bounded sum of a deal's fact weights (needs :meth:`columns`): ``cap ×
        tanh(sum / cap)`` — about the sum while it is small, never beyond ``cap``, and
        still ordered where a hard cap would tie the best-qualified deals."""
        names = [f"fact_{field}" for field in self.mapping()]
        if not names:
            return pl.lit(0.0)
        # times the reciprocal, not over the cap: Polars divides a column of one row
        # exactly but a longer one by multiplying, and a deal must score the same
        # alone (``show``) as among the others (the review)
        return (pl.sum_horizontal(names) * (1.0 / self.cap)).tanh() * self.cap

    def to_records(self) -> list[dict[str, Any]]:
        return [asdict(w) for w in self.weights]

    @classmethod
    def from_records(cls, records: Sequence[Mapping[str, Any]], cap: float) -> FactWeights:
        return cls(tuple(FactWeight(**dict(r)) for r in records), cap)


def evidence_weights(policy: Policy) -> FactWeights:
    """The policy's weights as they are (no history yet)."""
    return FactWeights(
        tuple(
            FactWeight(field, value, float(w), float(w))
            for field, values in policy.probability.facts.items()
            for value, w in values.items()
        ),
        policy.probability.max_fact_log_odds,
    )


def learn_fact_weights(deals: pl.DataFrame, policy: Policy) -> FactWeights:
    """The weights re-estimated from ``deals`` (closed ones: outcome won or lost), each
    pulled towards the evidence, and each fact judged (module docstring); the evidence
    alone without such deals."""
    prior = evidence_weights(policy)
    closed = deals.filter(pl.col("outcome").is_in([Outcome.WON.value, Outcome.LOST.value]))
    won = (closed["outcome"] == Outcome.WON.value).cast(pl.Float64).to_numpy()
    if closed.height == 0 or won.min() == won.max():
        return prior
    # every fact's 0/1 column in one select (one query, not one per value)
    matrix = closed.select(
        (pl.col(w.field) == w.value).fill_null(False).alias(str(i))
        for i, w in enumerate(prior.weights)
    ).to_numpy()
    has = {(w.field, w.value): matrix[:, i] for i, w in enumerate(prior.weights)}
    x = np.ascontiguousarray(matrix, dtype=np.float64)
    means = np.array([w.evidence for w in prior.weights])
    shrunk = dict(
        zip(has, _map_logistic(x, won, means, policy.probability.fact_spread), strict=True)
    )
    judged: list[FactWeight] = []
    for field in dict.fromkeys(w.field for w in prior.weights):
        rows = [w for w in prior.weights if w.field == field]
        lifts = [_lift(has[(w.field, w.value)], won) for w in rows]
        verdict = _verdict(rows, lifts, closed[field], won)
        for w, (count, wins, lift, se) in zip(rows, lifts, strict=True):
            weight = 0.0 if verdict == NO_LIFT else float(shrunk[(w.field, w.value)])
            seen = count > 0
            judged.append(
                replace(
                    w,
                    weight=weight if seen or verdict == NO_LIFT else w.evidence,
                    deals=count,
                    won=wins,
                    team=lift if seen else None,
                    team_se=se if seen else None,
                    verdict=verdict,
                )
            )
    return FactWeights(tuple(judged), prior.cap)


def _map_logistic(x: np.ndarray, y: np.ndarray, means: np.ndarray, spread: float) -> np.ndarray:
    """MAP weights of ``y ~ b0 + x @ b`` with a normal prior N(means, spread^2) on ``b``
    and a nearly flat one (sd 10) on the intercept ``b0``."""
    precision = np.concatenate([[1 / 100.0], np.full(x.shape[1], 1 / spread**2)])
    centre = np.concatenate([[np.log(y.mean() / (1 - y.mean()))], means])
    # The deals take few patterns of facts: the likelihood summed per pattern (its deals
    # and wins) is the same sum, over a handful of rows instead of every closed deal.
    patterns, deals, wins = _patterns(x, y)
    design = np.column_stack([np.ones(len(patterns)), patterns])
    found = logistic.map_logistic(design, deals, wins, mean=centre, precision=precision)
    weights: np.ndarray = found[1:]
    return weights


def _patterns(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct rows of the 0/1 matrix ``x``, how many rows hold each, and the sum
    of ``y`` over them."""
    packed = np.ascontiguousarray(np.packbits(x.astype(bool), axis=1))
    keys = packed.view(np.dtype((np.void, packed.shape[1]))).ravel()
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    inverse = inverse.ravel()
    deals = np.bincount(inverse, minlength=first.size).astype(np.float64)
    wins = np.bincount(inverse, weights=y, minlength=first.size)
    return x[first], deals, wins


def _lift(has: np.ndarray, won: np.ndarray) -> tuple[int, int, float, float]:
    """Deals with the value, won among them, and the log odds ratio of winning with the
    value against every other closed deal (with its standard error; +0.5 per cell)."""
    a, b = float(won[has].sum()), float((1 - won[has]).sum())
    c, d = float(won[~has].sum()), float((1 - won[~has]).sum())
    lift = float(np.log((a + 0.5) * (d + 0.5) / ((b + 0.5) * (c + 0.5))))
    se = float(np.sqrt(1 / (a + 0.5) + 1 / (b + 0.5) + 1 / (c + 0.5) + 1 / (d + 0.5)))
    return int(a + b), int(a), lift, se


def independence_p(counts: np.ndarray) -> float:
    """The p-value of Pearson's chi-square test that the rows and columns of the table
    ``counts`` (every row and column with a count) are independent, with Yates'
    correction on a 2×2 table: ``scipy.stats.chi2_contingency``'s, without loading
    SciPy (a third of a second) into every import that learns the norms."""
    observed = counts.astype(np.float64)
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0)) / observed.sum()
    dof = (observed.shape[0] - 1) * (observed.shape[1] - 1)
    if dof == 1:  # Yates: each cell half a count nearer what independence expects
        gap = expected - observed
        observed = observed + np.sign(gap) * np.minimum(0.5, np.abs(gap))
    statistic = float(((observed - expected) ** 2 / expected).sum())
    return chi_square_survival(dof, statistic)


def chi_square_survival(dof: int, statistic: float) -> float:
    """P(X ≥ ``statistic``) for X chi-square with ``dof`` degrees of freedom: the
    regularised upper incomplete gamma Q(dof/2, statistic/2), which for whole ``dof``
    is a finite sum (with erfc for odd ``dof``), each term taken through its logarithm
    so that no power or factorial overflows."""
    half = statistic / 2
    if half <= 0:
        return 1.0
    whole = dof % 2 == 0
    total = 0.0 if whole else math.erfc(math.sqrt(half))
    shift = 0.0 if whole else 0.5
    log_half = math.log(half)
    for i in range(dof // 2):
        k = i + shift
        total += math.exp(k * log_half - half - math.lgamma(k + 1))
    return min(total, 1.0)


def contingency(values: pl.Series, won: np.ndarray) -> np.ndarray:
    """How many rows hold each of the (text) ``values`` (a row each, first seen first)
    with each outcome of ``won`` (a column each, first seen first): the table a pivot of
    the two makes, in its order, counted in NumPy (the pivot was most of learning the
    facts' verdicts)."""
    text = values.cast(pl.String)
    # an Enum of the values in the order first seen numbers each row's value in it
    rows = text.cast(pl.Enum(text.unique(maintain_order=True))).to_physical().to_numpy()
    _, first, inverse = np.unique(won, return_index=True, return_inverse=True)
    rank = np.empty_like(first)
    rank[np.argsort(first, kind="stable")] = np.arange(first.size)
    columns = rank[inverse.ravel()]
    counts = np.zeros((int(rows.max()) + 1, int(columns.max()) + 1), dtype=np.int64)
    np.add.at(counts, (rows.astype(np.int64), columns), 1)
    return counts


def _verdict(
    rows: Sequence[FactWeight],
    lifts: Sequence[tuple[int, int, float, float]],
    values: pl.Series,
    won: np.ndarray,
) -> str:
    """The fact's verdict from its values' win rates here (a chi-square test of the
    values, unknown included, against the outcome) and the evidence's direction."""
    seen = [(w, lift) for w, (n, _, lift, _) in zip(rows, lifts, strict=True) if n > 0]
    known = sum(n for n, *_ in lifts)
    if not seen:
        return NOT_RECORDED
    if known < MIN_DEALS_TO_DROP:
        return TOO_FEW
    counts = contingency(values.fill_null("unknown"), won)
    significant = counts.shape[0] > 1 and counts.shape[1] > 1 and independence_p(counts) < 0.05
    evidence = np.array([w.evidence for w, _ in seen])
    observed = np.array([lift for _, lift in seen])
    evidence_range = float(np.ptp(evidence)) if len(seen) > 1 else abs(float(evidence[0]))
    observed_range = float(np.ptp(observed)) if len(seen) > 1 else abs(float(observed[0]))
    if not significant:
        return NO_LIFT if observed_range < NO_LIFT_SHARE * evidence_range else UNCLEAR
    agreement = float(np.dot(evidence - evidence.mean(), observed - observed.mean()))
    if len(seen) == 1:
        agreement = float(evidence[0] * observed[0])
    return CONFIRMED if agreement > 0 else OPPOSITE


def fact_reasons(
    frame: pl.DataFrame, weights: FactWeights, threshold: float = 0.05
) -> pl.DataFrame:
    """``facts_for`` and ``facts_against``: for each row of ``frame`` (which needs
    :meth:`FactWeights.columns`), in its order, the sentences of its facts that weigh
    more than ``threshold`` either way, the strongest first (ties in field order).

    Worked out long (a row per deal and fact, sorted once), not per row in a list: a few
    hundred thousand deals then take a few hundredths of a second, not a second."""
    words: dict[str, dict[str, str]] = {}
    for w in weights.weights:
        if abs(w.weight) > threshold:
            words.setdefault(w.field, {})[w.value] = w.words
    empty = pl.lit([], dtype=pl.List(pl.String))
    if not words:
        return frame.with_columns(empty.alias("facts_for"), empty.alias("facts_against")).select(
            "facts_for", "facts_against"
        )
    fields = list(words)
    said = pl.DataFrame(
        [(field, value, text) for field, values in words.items() for value, text in values.items()],
        schema={"field": pl.String, "value": pl.String, "text": pl.String},
        orient="row",
    )
    # A row per deal and fact, field after field (unpivot's order: a column after
    # another), its weight and its words: one query, the words found by one join.
    row = pl.int_range(pl.len(), dtype=pl.UInt32).alias("row")
    weighed = frame.lazy().select(row, *(pl.col(f"fact_{f}").alias(f) for f in fields))
    values = frame.lazy().select(*(pl.col(f).cast(pl.String) for f in fields))
    long = (
        pl.concat(
            [
                weighed.unpivot(fields, index="row", variable_name="field", value_name="w"),
                values.unpivot(fields, value_name="value").select("value"),
            ],
            how="horizontal",
        )
        .join(said.lazy(), on=["field", "value"], how="left", maintain_order="left")
        .select("row", "w", "text")
        .collect()
    )
    ordered = long.filter(pl.col("text").is_not_null() & (pl.col("w") != 0)).sort(
        "row", pl.col("w").abs(), descending=[False, True], maintain_order=True
    )
    lists = ordered.group_by("row").agg(
        pl.col("text").filter(pl.col("w") > 0).alias("facts_for"),
        pl.col("text").filter(pl.col("w") < 0).alias("facts_against"),
    )
    every = frame.select(row)
    joined = every.join(lists, on="row", how="left", maintain_order="left")
    return joined.select(
        pl.col("facts_for").fill_null(empty), pl.col("facts_against").fill_null(empty)
    )


def facts_frame(weights: FactWeights) -> pl.DataFrame:
    """The weights as a table (for ``walkaway model`` and the docs)."""
    schema = {
        "field": pl.String, "value": pl.String, "evidence": pl.Float64, "weight": pl.Float64,
        "deals": pl.Int64, "won": pl.Int64, "team": pl.Float64, "team_se": pl.Float64,
        "verdict": pl.String,
    }  # fmt: skip
    return pl.DataFrame([asdict(w) for w in weights.weights], schema=schema, orient="row")


def mean_total(deals: pl.DataFrame, facts: FactWeights) -> float:
    """The average deal's bounded fact total (0 without deals): where the facts are
    centred, so they move a deal against its peers without moving the average."""
    if deals.height == 0:
        return 0.0
    mean = deals.select(facts.columns()).select(facts.total().mean()).item()
    return float(mean or 0.0)
