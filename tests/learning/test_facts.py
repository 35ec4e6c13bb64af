"""The qualification facts in the prior: evidence weights, log-odds, the team's verdicts."""

from __future__ import annotations

import math
import subprocess
import sys
from dataclasses import replace
from datetime import datetime, timedelta

import numpy as np
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from walkaway.flags.rulebook import empty_flags, find_flags_frame
from walkaway.learning.prior import PriorModel
from walkaway.models import ACTIVITY_SCHEMA, DEAL_SCHEMA, Pipeline
from walkaway.policy import Policy, load_policy
from walkaway.sample import shapes
from walkaway.signals.facts import (
    CONFIRMED,
    NO_LIFT,
    NOT_RECORDED,
    OPPOSITE,
    TOO_FEW,
    chi_square_survival,
    contingency,
    independence_p,
)
from walkaway.signals.frame import compute_signals
from walkaway.signals.norms import compute_norms

AS_OF = datetime(2025, 6, 2)
NO_ACTIVITIES = pl.DataFrame(schema=ACTIVITY_SCHEMA)
FIELDS = ("budget", "authority", "champion", "need", "competitor", "fit", "potential")


def open_deal(deal_id: str, **facts: str | None) -> dict[str, object]:
    row: dict[str, object] = dict.fromkeys(DEAL_SCHEMA)
    row |= {"deal_id": deal_id, "stage": "proposal", "amount": 10_000.0, "outcome": "open"}
    row |= {"created_at": AS_OF - timedelta(days=3), **dict.fromkeys(FIELDS), **facts}
    return row


def p_of(
    deals: list[dict[str, object]], policy: Policy, flags: pl.DataFrame | None = None
) -> dict[str, float]:
    pipeline = Pipeline(pl.DataFrame(deals, schema=DEAL_SCHEMA), NO_ACTIVITIES)
    signals = compute_signals(pipeline, AS_OF, policy)
    model = PriorModel(policy).fit(pipeline, AS_OF)
    found = empty_flags() if flags is None else flags
    p = model.predict_proba(signals, found)
    return dict(zip(signals["deal_id"], p, strict=True))


def logit(p: float) -> float:
    return math.log(p / (1 - p))


def bounded(total: float, policy: Policy) -> float:
    """The prior's soft cap on a sum of fact weights."""
    cap = policy.probability.max_fact_log_odds
    return cap * math.tanh(total / cap)


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy()


def test_unknown_is_not_no_and_facts_add_on_the_log_odds_scale(policy: Policy) -> None:
    weights = policy.probability.facts
    p = p_of(
        [
            open_deal("blank"),
            open_deal("unknown", budget="unknown", need="unknown"),
            open_deal("no budget", budget="none"),
            open_deal("clear need", need="clear"),
            open_deal("both", budget="none", need="clear"),
        ],
        policy,
    )
    base = policy.win_rate("proposal")
    assert p["blank"] == pytest.approx(base) and p["unknown"] == pytest.approx(base)
    no_budget, clear_need = weights["budget"]["none"], weights["need"]["clear"]
    assert logit(p["no budget"]) - logit(base) == pytest.approx(bounded(no_budget, policy))
    assert logit(p["clear need"]) - logit(base) == pytest.approx(bounded(clear_need, policy))
    both = bounded(no_budget + clear_need, policy)
    assert logit(p["both"]) - logit(base) == pytest.approx(both)


def test_no_single_fact_decides_the_sum_is_bounded_and_still_ordered(policy: Policy) -> None:
    facts = policy.probability.facts
    best = {f: max(v, key=v.get) for f, v in facts.items()}
    worst = {f: min(v, key=v.get) for f, v in facts.items()}
    almost = {**best, "potential": "medium"}
    deals = [open_deal("best", **best), open_deal("almost", **almost), open_deal("worst", **worst)]
    p = p_of(deals, policy)
    cap = policy.probability.max_fact_log_odds
    base = logit(policy.win_rate("proposal"))
    assert sum(max(v.values()) for v in facts.values()) > cap
    assert cap * 0.9 < logit(p["best"]) - base < cap
    assert -cap < logit(p["worst"]) - base < -cap * 0.9
    assert p["almost"] < p["best"]  # no tie at the top, as a hard cap would make
    assert all(max(abs(w) for w in v.values()) < cap for v in facts.values())


def test_a_flag_that_states_a_fact_counts_once(policy: Policy) -> None:
    deals = [open_deal("D1", competitor="present")]
    flag = pl.DataFrame(
        [{"deal_id": "D1", "code": "competitor", "severity": "warning", "evidence": "e",
          "question": "q", "hard_stop": False}],
        schema=empty_flags().schema,
    )  # fmt: skip
    assert p_of(deals, policy, flag)["D1"] == pytest.approx(p_of(deals, policy)["D1"])


def test_good_facts_fade_as_the_buyer_raises_red_flags(policy: Policy) -> None:
    deals = [open_deal("D1", champion="yes", need="clear")]
    flag = pl.DataFrame(
        [{"deal_id": "D1", "code": "unresponsive", "severity": "critical", "evidence": "e",
          "question": "q", "hard_stop": False}],
        schema=empty_flags().schema,
    )  # fmt: skip
    facts = policy.probability.facts["champion"]["yes"] + policy.probability.facts["need"]["clear"]
    factor = policy.probability.odds_critical
    expected = logit(policy.win_rate("proposal")) + bounded(facts, policy) * factor
    expected += math.log(factor)
    assert logit(p_of(deals, policy, flag)["D1"]) == pytest.approx(expected)


def test_the_reasons_name_the_facts_that_count(policy: Policy) -> None:
    deals = [
        open_deal("D1", champion="yes", competitor="incumbent", budget="unknown"),
        open_deal("D2", budget="confirmed"),  # the team records budgets
    ]
    pipeline = Pipeline(pl.DataFrame(deals, schema=DEAL_SCHEMA), NO_ACTIVITIES)
    signals = compute_signals(pipeline, AS_OF, policy)
    model = PriorModel(policy).fit(pipeline, AS_OF)
    flags = find_flags_frame(signals, policy)
    assert "budget_unknown" in flags.filter(deal_id="D1")["code"].to_list()
    row = model.reasons(model.score(signals, flags)).row(0, named=True)
    assert "A champion inside the buyer" in row["reasons_for"]
    assert row["reasons_against"][0] == "A competitor is the incumbent supplier"
    assert "The budget is not known" not in row["reasons_against"]  # unknown counts 0


@pytest.fixture(scope="module")
def qualification() -> shapes.Shape:
    return shapes.qualification_only(900, seed=3)


def test_the_teams_history_confirms_some_facts_and_drops_one_with_no_lift(
    qualification: shapes.Shape, policy: Policy
) -> None:
    """The generated truth: competitor and potential matter, budget has no effect."""
    norms = compute_norms(qualification.pipeline, qualification.as_of, policy)
    verdicts = {(w.field, w.value): w for w in norms.facts.weights}
    assert {verdicts[("budget", v)].verdict for v in ("confirmed", "none")} == {NO_LIFT}
    assert verdicts[("budget", "none")].weight == 0.0
    assert verdicts[("competitor", "present")].verdict == CONFIRMED
    assert verdicts[("competitor", "present")].weight < verdicts[("competitor", "none")].weight
    assert verdicts[("champion", "yes")].verdict == NOT_RECORDED
    assert verdicts[("champion", "yes")].weight == policy.probability.facts["champion"]["yes"]


def test_a_fact_working_the_other_way_here_is_said_so(policy: Policy) -> None:
    rng = np.random.default_rng(5)
    rows = []
    for i in range(400):
        fit = "high" if i % 2 else "low"
        won = rng.random() < (0.25 if fit == "high" else 0.6)  # against the evidence
        rows.append(
            {**open_deal(f"H{i}", fit=fit), "outcome": "won" if won else "lost",
             "closed_at": AS_OF - timedelta(days=1), "created_at": AS_OF - timedelta(days=30)}
        )  # fmt: skip
    deals = pl.DataFrame(rows, schema=DEAL_SCHEMA)
    pipeline = Pipeline(deals, NO_ACTIVITIES)
    weights = {
        w.value: w for w in compute_norms(pipeline, AS_OF, policy).facts.weights if w.field == "fit"
    }
    assert weights["high"].verdict == OPPOSITE
    assert weights["high"].weight < weights["low"].weight  # the team's history wins


def test_a_few_deals_move_a_weight_a_little(policy: Policy) -> None:
    few = shapes.qualification_only(20, seed=8)
    weights = compute_norms(few.pipeline, few.as_of, policy).facts.weights
    moved = {(w.field, w.value): w for w in weights}
    assert moved[("competitor", "present")].verdict == TOO_FEW
    evidence = policy.probability.facts["competitor"]["present"]
    assert abs(moved[("competitor", "present")].weight - evidence) < 0.5


def test_the_prior_stores_its_facts(qualification: shapes.Shape, policy: Policy) -> None:
    model = PriorModel(policy).fit(qualification.pipeline, qualification.as_of)
    back = PriorModel.from_state(policy, model.to_state())
    assert back.facts().equals(model.facts()) and back.fact_centre_ == model.fact_centre_
    changed = replace(policy, probability=replace(policy.probability, max_fact_log_odds=0.5))
    assert PriorModel.from_state(changed, model.to_state()).facts_.cap == 0.5


@given(
    st.integers(2, 5).flatmap(
        lambda rows: st.lists(
            st.tuples(st.integers(1, 400), st.integers(0, 400)), min_size=rows, max_size=rows
        )
    )
)
def test_the_verdicts_chi_square_is_scipys(cells: list[tuple[int, int]]) -> None:
    """The verdict's test of independence (values × won) is SciPy's chi2_contingency,
    Yates' correction on 2×2 included, for tables with every row and column counted."""
    from scipy.stats import chi2_contingency

    counts = np.array(cells)
    if counts[:, 1].sum() == 0:  # a column with no count: the verdict never tests it
        counts[0, 1] = 1
    assert independence_p(counts) == pytest.approx(chi2_contingency(counts)[1], rel=1e-9, abs=1e-12)


@given(
    st.integers(1, 1200),
    st.one_of(st.floats(0, 4000), st.floats(0, 1e-6), st.floats(-1, 0)),
)
def test_the_chi_square_tail_is_scipys(dof: int, statistic: float) -> None:
    """The tail of the chi-square distribution, for any whole degrees of freedom (a
    category with hundreds of values) and any statistic, is SciPy's ``chdtrc``."""
    from scipy.special import chdtrc

    expected = float(chdtrc(dof, max(statistic, 0.0)))
    assert chi_square_survival(dof, statistic) == pytest.approx(expected, rel=1e-9, abs=1e-15)


def test_the_verdicts_do_not_load_scipy() -> None:
    """Judging a fact (every import that learns the norms does) loads no SciPy: it took
    a third of a second of the import's INSERTs, on a thread that held Python's lock."""
    code = (
        "import sys, numpy as np\n"
        "from walkaway.signals.facts import independence_p\n"
        "p = independence_p(np.array([[30, 10], [12, 25], [4, 9]]))\n"
        "assert 0 < p < 0.05, p\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'scipy'))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


@given(
    st.lists(
        st.tuples(st.sampled_from(["yes", "no", "partial", "unknown", "d'accord"]), st.booleans()),
        min_size=1,
        max_size=60,
    )
)
def test_the_verdicts_table_is_the_pivot_it_replaced(rows: list[tuple[str, bool]]) -> None:
    """The values × won table the verdict tests holds the counts a Polars pivot made, in
    the pivot's order (rows and columns first seen first): the same p-value to the bit."""
    values = pl.Series("v", [v for v, _ in rows])
    won = np.array([float(w) for _, w in rows])
    pivot = (
        pl.DataFrame({"v": values, "won": won})
        .pivot(on="won", index="v", values="won", aggregate_function="len")
        .fill_null(0)
    )
    expected = pivot.drop("v").to_numpy()
    table = contingency(values, won)
    assert table.shape == expected.shape
    assert (table == expected).all()
