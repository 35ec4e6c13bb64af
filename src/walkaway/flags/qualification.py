"""Rules on qualification (budget, authority, need, champion, the stage's exit
criteria), the buyer's demands, fit, competition and the buyer's people."""

from __future__ import annotations

import polars as pl

from walkaway.flags.spec import RuleExprs, RuleSpec, above, ask, at_least, from_stage, is_value
from walkaway.flags.spec import unknown as not_known
from walkaway.policy import Policy
from walkaway.wording import percent, plural, text

DECIDERS = ("economic_buyer", "decision_maker")


def _make_fixed_rule(fires: pl.Expr, evidence: str, question: str) -> RuleExprs:
    return RuleExprs(fires=fires, evidence=pl.lit(evidence), question=ask(question))


def no_budget(_: Policy) -> RuleExprs:
    return _make_fixed_rule(
        is_value("budget", "none"),
        "The buyer has no budget for this",
        "Is there budget in the next cycle, and who controls it?",
    )


def budget_unknown(_: Policy) -> RuleExprs:
    return _make_fixed_rule(
        not_known("budget"),
        "The budget is not known",
        "Is there a budget set aside for this, and how much?",
    )


def budget_required(policy: Policy) -> RuleExprs:
    stage = policy.requirements.budget_by
    return RuleExprs(
        fires=from_stage(policy, stage) & ~is_value("budget", "confirmed"),
        evidence=text(
            "In ", pl.col("stage"), f" without a confirmed budget (required from {stage} on)"
        ),
        question=ask("Can you confirm the budget before we go further?"),
    )


def no_authority(_: Policy) -> RuleExprs:
    return _make_fixed_rule(
        is_value("authority", "none"),
        "No one with a say in the purchase is involved",
        "Who signs off on this, and can we meet them?",
    )


def authority_unknown(_: Policy) -> RuleExprs:
    return _make_fixed_rule(
        not_known("authority"),
        "Who decides is not known",
        "Who else is involved in the decision, and who has the final say?",
    )


def decision_maker_required(policy: Policy) -> RuleExprs:
    stage = policy.requirements.decision_maker_by
    return RuleExprs(
        fires=from_stage(policy, stage) & ~is_value("authority", *DECIDERS),
        evidence=text(
            "In ",
            pl.col("stage"),
            f" without access to a decision maker (required from {stage} on)",
        ),
        question=ask("Can we meet the person who signs before we go further?"),
    )


def no_champion(_: Policy) -> RuleExprs:
    return _make_fixed_rule(
        is_value("champion", "no"),
        "No champion inside the buyer's organisation",
        "Who inside would push for this when we are not in the room?",
    )


def unclear_need(_: Policy) -> RuleExprs:
    return _make_fixed_rule(
        is_value("need", "vague"),
        "The buyer's need is vague",
        "What problem must this solve, and what does it cost you today?",
    )


def no_need(_: Policy) -> RuleExprs:
    return _make_fixed_rule(
        is_value("need", "none"),
        "The buyer sees no need for this",
        "What would make solving this a priority?",
    )


def need_unknown(_: Policy) -> RuleExprs:
    return _make_fixed_rule(
        not_known("need"),
        "The buyer's need is not known",
        "What problem are you trying to solve, and why now?",
    )


def skipped_step(_: Policy) -> RuleExprs:
    steps = pl.col("skipped_steps").list.join(", ")
    return RuleExprs(
        fires=(pl.col("skipped_steps").list.len() > 0).fill_null(False),
        evidence=text("Moved on without: ", steps),
        question=text("Can the buyer confirm: ", steps, "?"),
    )


def discount_beyond_policy(policy: Policy) -> RuleExprs:
    limit = policy.threshold("discount_beyond_policy", "limit")
    floor = policy.threshold("discount_beyond_floor", "floor")
    below_floor = (
        pl.lit(True)
        if not policy.is_enabled("discount_beyond_floor")
        else ~above("discount_requested", floor)
    )
    return RuleExprs(
        fires=above("discount_requested", limit) & below_floor,
        evidence=text(
            "A ",
            percent(pl.col("discount_requested")),
            f" discount was asked; policy allows {limit:.0%}",
        ),
        question=ask("What would make the value clear within our usual terms?"),
    )


def discount_beyond_floor(policy: Policy) -> RuleExprs:
    floor = policy.threshold("discount_beyond_floor", "floor")
    return RuleExprs(
        fires=above("discount_requested", floor),
        evidence=text(
            "A ",
            percent(pl.col("discount_requested")),
            f" discount was asked; the floor is {floor:.0%}",
        ),
        question=ask("Could a smaller scope work at a price both sides can carry?"),
    )


def custom_demands(policy: Policy) -> RuleExprs:
    return RuleExprs(
        fires=at_least("custom_requests", policy.threshold("custom_demands", "count")),
        evidence=text(
            plural(pl.col("custom_requests"), "custom feature or term", "custom features or terms"),
            " asked",
        ),
        question=ask("Which of these requests are must-haves for your decision?"),
    )


def margin_below_floor(policy: Policy) -> RuleExprs:
    floor = policy.threshold("margin_below_floor", "floor")
    return RuleExprs(
        fires=(pl.col("margin") < floor).fill_null(False),
        evidence=text("Margin ", percent(pl.col("margin")), f" is below the {floor:.0%} floor"),
        question=ask("Can the scope or the price change so that the deal pays for itself?"),
    )


def missing_features(policy: Policy) -> RuleExprs:
    return RuleExprs(
        fires=at_least("missing_features", policy.threshold("missing_features", "count")),
        evidence=text(
            plural(pl.col("missing_features"), "feature", "features"),
            " asked that the product does not have",
        ),
        question=ask("Which of the missing features are deal-breakers?"),
    )


def poor_fit(_: Policy) -> RuleExprs:
    return _make_fixed_rule(
        is_value("fit", "low"),
        "The account is a poor fit for our ideal customer",
        "What would make this account succeed where similar ones have not?",
    )


def competitor(_: Policy) -> RuleExprs:
    return _make_fixed_rule(
        is_value("competitor", "present"),
        "A competitor is in the deal",
        "What would make you choose us over the alternative?",
    )


def incumbent_competitor(_: Policy) -> RuleExprs:
    return _make_fixed_rule(
        is_value("competitor", "incumbent"),
        "A competitor is the incumbent supplier",
        "What would it take to switch, and who is pushing for the change?",
    )


def stakeholders_misaligned(_: Policy) -> RuleExprs:
    return _make_fixed_rule(
        is_value("stakeholders_aligned", "no"),
        "The buyer's stakeholders do not agree",
        "Who disagrees, and what does each of them need to say yes?",
    )


SPECS: tuple[RuleSpec, ...] = (
    RuleSpec("no_budget", "No budget", "The buyer has no budget.", "budget = none", no_budget),
    RuleSpec(
        "budget_unknown",
        "Budget unknown",
        "Nobody knows whether there is a budget.",
        "budget unknown or empty, on a team that records budget",
        budget_unknown,
    ),
    RuleSpec(
        "budget_required",
        "Budget before proposal",
        "The deal reached the stage from which the policy requires a confirmed budget.",
        "stage at or after requirements.budget_by (proposal) and budget != confirmed",
        budget_required,
    ),
    RuleSpec(
        "no_authority",
        "No authority",
        "Nobody involved has a say in the purchase.",
        "authority = none",
        no_authority,
    ),
    RuleSpec(
        "authority_unknown",
        "Decision maker unknown",
        "Who decides is not known.",
        "authority unknown or empty, on a team that records authority",
        authority_unknown,
    ),
    RuleSpec(
        "decision_maker_required",
        "Decision maker before proposal",
        "The deal reached the stage from which the policy requires access to a decision maker.",
        "stage at or after requirements.decision_maker_by (proposal) and authority"
        " not economic_buyer / decision_maker",
        decision_maker_required,
    ),
    RuleSpec(
        "no_champion",
        "No champion",
        "Nobody inside the buyer pushes for the deal.",
        "champion = no",
        no_champion,
    ),
    RuleSpec(
        "unclear_need",
        "Unclear need",
        "The buyer's need or pain is vague.",
        "need = vague",
        unclear_need,
    ),
    RuleSpec(
        "no_need", "No need", "The buyer has no need the product meets.", "need = none", no_need
    ),
    RuleSpec(
        "need_unknown",
        "Need unknown",
        "The buyer's need is not known.",
        "need unknown or empty, on a team that records need",
        need_unknown,
    ),
    RuleSpec(
        "skipped_step",
        "Skipped step",
        "The deal moved past a stage without the buyer-verifiable exit criteria of it.",
        "any exit criterion of a passed stage unmet when the deal left it",
        skipped_step,
    ),
    RuleSpec(
        "discount_beyond_policy",
        "Discount beyond policy",
        "The buyer asks for more discount than the policy allows.",
        "discount_requested > limit (0.15) and not beyond the floor",
        discount_beyond_policy,
    ),
    RuleSpec(
        "discount_beyond_floor",
        "Discount beyond the floor (hard stop)",
        "The discount asked is more than the business can carry.",
        "discount_requested > floor (0.30); hard stop",
        discount_beyond_floor,
    ),
    RuleSpec(
        "custom_demands",
        "Custom demands",
        "Many custom features or terms are asked.",
        "custom_requests >= count (3)",
        custom_demands,
    ),
    RuleSpec(
        "margin_below_floor",
        "Margin below floor (hard stop)",
        "The deal's gross margin is below the policy floor.",
        "margin < floor (0.20); hard stop",
        margin_below_floor,
    ),
    RuleSpec(
        "missing_features",
        "Missing features",
        "The buyer asks for features the product lacks.",
        "missing_features >= count (2)",
        missing_features,
    ),
    RuleSpec(
        "poor_fit", "Poor fit", "The account is far from the ideal customer.", "fit = low", poor_fit
    ),
    RuleSpec(
        "competitor",
        "Competitor",
        "A competitor is in the deal.",
        "competitor = present",
        competitor,
    ),
    RuleSpec(
        "incumbent_competitor",
        "Incumbent competitor",
        "A competitor already supplies the buyer.",
        "competitor = incumbent",
        incumbent_competitor,
    ),
    RuleSpec(
        "stakeholders_misaligned",
        "Stakeholders disagree",
        "The buyer's stakeholders cannot agree (internal politics).",
        "stakeholders_aligned = no",
        stakeholders_misaligned,
    ),
    RuleSpec(
        "gut_vs_data",
        "Gut and data disagree",
        "The rep's confidence and the win probability point different ways.",
        "rep_confidence >= high (4) and win probability < low_probability (0.2), or "
        "rep_confidence <= low (2) and win probability >= high_probability (0.5)",
    ),
)
