"""Rules on the buyer's responsiveness and the deal's momentum."""

from __future__ import annotations

import polars as pl

from walkaway.flags.spec import RuleExprs, RuleSpec, above, ask, at_least
from walkaway.policy import Policy
from walkaway.wording import money, percent, plural, text, whole


def unresponsive(policy: Policy) -> RuleExprs:
    touches = policy.threshold("unresponsive", "touches")
    days = policy.threshold("unresponsive", "days")
    gap = pl.col("team_reply_gap")
    limit = pl.max_horizontal(gap, pl.lit(days))
    norm = (
        pl.when(gap.is_not_null() & (gap > days))
        .then(text("your won deals heard back within ", whole(gap), " days"))
        .otherwise(pl.lit(f"the policy allows {days:g} days"))
    )
    return RuleExprs(
        fires=at_least("outbound_since_inbound", touches) & above("days_waiting", limit),
        evidence=text(
            plural(pl.col("outbound_since_inbound"), "outbound touch", "outbound touches"),
            " and no reply in ",
            whole(pl.col("days_waiting")),
            " days; ",
            norm,
        ),
        question=ask("Is this still a priority for you, and is there a date we can talk?"),
    )


def no_shows(policy: Policy) -> RuleExprs:
    return RuleExprs(
        fires=at_least("no_shows", policy.threshold("no_shows", "count")),
        evidence=text(
            "The buyer did not show up to ", plural(pl.col("no_shows"), "meeting", "meetings")
        ),
        question=ask("What would make a meeting worth your time, and who should be in it?"),
    )


def meetings_moved(policy: Policy) -> RuleExprs:
    return RuleExprs(
        fires=at_least("reschedules", policy.threshold("meetings_moved", "count")),
        evidence=text("Meetings were rescheduled ", plural(pl.col("reschedules"), "time", "times")),
        question=ask("Which date can we both commit to, and what keeps getting in the way?"),
    )


def idle(policy: Policy) -> RuleExprs:
    days = policy.threshold("idle", "days")
    return RuleExprs(
        fires=pl.col("tracks_activities") & above("days_since_last_activity", days),
        evidence=text(
            "No activity on either side in ",
            whole(pl.col("days_since_last_activity")),
            f" days (limit {days:g})",
        ),
        question=ask("What is the next step on the buyer's side, and when will it happen?"),
    )


def stalled(policy: Policy) -> RuleExprs:
    factor = policy.threshold("stalled", "factor")
    threshold = pl.max_horizontal(
        pl.col("stall_threshold_days") * factor, pl.lit(policy.threshold("stalled", "min_days"))
    )
    from_history = (pl.col("stage_norm_source") == "history") & (
        pl.col("stage_limit_days").is_null()
        | (pl.col("stage_norm_p90") <= pl.col("stage_limit_days"))
    )
    norm = (
        pl.when(from_history)
        .then(text("won deals left it within ", whole(pl.col("stage_norm_p90")), " days"))
        .otherwise(text("the stage limit is ", whole(threshold), " days"))
    )
    return RuleExprs(
        fires=above("days_in_stage", threshold),
        evidence=text(
            whole(pl.col("days_in_stage")),
            " days in ",
            pl.col("stage").fill_null("an unknown stage"),
            "; ",
            norm,
        ),
        question=ask("What has to happen to move to the next step, and by which date?"),
    )


def close_date_pushed(policy: Policy) -> RuleExprs:
    pushes = pl.col("close_date_pushes")
    return RuleExprs(
        fires=at_least("close_date_pushes", policy.threshold("close_date_pushed", "count")),
        evidence=text("The close date moved out ", plural(pushes, "time", "times")),
        question=ask("What changed in your timeline, and which decision date will hold?"),
    )


def close_date_passed(policy: Policy) -> RuleExprs:
    return RuleExprs(
        fires=above("days_past_close", policy.threshold("close_date_passed", "days")),
        evidence=text(
            "The expected close date passed ", whole(pl.col("days_past_close")), " days ago"
        ),
        question=ask("When will the decision be made now, and who makes it?"),
    )


def amount_cut(policy: Policy) -> RuleExprs:
    return RuleExprs(
        fires=at_least("amount_cut", policy.threshold("amount_cut", "share")),
        evidence=text(
            "The amount was cut by ",
            percent(pl.col("amount_cut")),
            ", from ",
            money(pl.col("amount_before"), pl.col("currency")),
            " to ",
            money(pl.col("amount"), pl.col("currency")),
        ),
        question=ask("What changed in the scope or the budget?"),
    )


def stage_regression(policy: Policy) -> RuleExprs:
    return RuleExprs(
        fires=at_least("stage_regressions", policy.threshold("stage_regression", "count")),
        evidence=text(
            "The deal moved back to an earlier stage ",
            plural(pl.col("stage_regressions"), "time", "times"),
            " (now in ",
            pl.col("stage"),
            ")",
        ),
        question=ask("What sent this back a stage, and is it resolved?"),
    )


def proposal_unanswered(policy: Policy) -> RuleExprs:
    days = policy.threshold("proposal_unanswered", "days")
    return RuleExprs(
        fires=at_least("proposals_unanswered", 1) & at_least("days_since_proposal", days),
        evidence=text(
            "A proposal sent ", whole(pl.col("days_since_proposal")), " days ago has had no reply"
        ),
        question=ask("Does the proposal meet your needs, and what would you change?"),
    )


def one_more_proposal(policy: Policy) -> RuleExprs:
    return RuleExprs(
        fires=at_least("proposals_sent", policy.threshold("one_more_proposal", "count")),
        evidence=text(plural(pl.col("proposals_sent"), "proposal", "proposals"), " sent so far"),
        question=ask("What must the final proposal contain for you to decide on it?"),
    )


def renegotiation(policy: Policy) -> RuleExprs:
    return RuleExprs(
        fires=at_least("renegotiations", policy.threshold("renegotiation", "count")),
        evidence=text(
            "Agreed terms were reopened ", plural(pl.col("renegotiations"), "time", "times")
        ),
        question=ask("Which terms are final, and who signs off on them?"),
    )


SPECS: tuple[RuleSpec, ...] = (
    RuleSpec(
        "unresponsive",
        "Buyer unresponsive",
        "Several outbound touches and no reply for longer than the team's won deals waited.",
        "outbound_since_inbound >= touches (3) and days_waiting > max(days (14), the "
        "90th percentile reply gap of won deals)",
        unresponsive,
    ),
    RuleSpec(
        "no_shows",
        "Missed meetings",
        "The buyer did not show up to a meeting.",
        "no_shows >= count (1)",
        no_shows,
    ),
    RuleSpec(
        "meetings_moved",
        "Meetings keep moving",
        "Meetings were rescheduled repeatedly.",
        "reschedules >= count (2)",
        meetings_moved,
    ),
    RuleSpec(
        "idle",
        "Idle deal",
        "Nothing happened on either side for a long time (on a team that logs activities).",
        "days_since_last_activity > days (30), on a team that logs activities",
        idle,
    ),
    RuleSpec(
        "stalled",
        "Stalled in stage",
        "The deal sits in its stage longer than won deals did, or than the stage limit.",
        "days_in_stage > max(factor (1.0) x min(won deals' 90th percentile, stage "
        "limit_days), min_days (3))",
        stalled,
    ),
    RuleSpec(
        "close_date_pushed",
        "Close date keeps moving",
        "Notes say the expected close date was moved out repeatedly.",
        "close_date_pushes >= count (2)",
        close_date_pushed,
    ),
    RuleSpec(
        "close_date_passed",
        "Close date passed",
        "The expected close date is in the past.",
        "days_past_close > days (0)",
        close_date_passed,
    ),
    RuleSpec(
        "amount_cut",
        "Amount cut",
        "Notes say the deal's amount was cut.",
        "amount_cut >= share (0.2)",
        amount_cut,
    ),
    RuleSpec(
        "stage_regression",
        "Moved back a stage",
        "The deal moved back to an earlier stage of the policy.",
        "stage_regressions >= count (1)",
        stage_regression,
    ),
    RuleSpec(
        "proposal_unanswered",
        "Proposal unanswered",
        "A proposal was sent and the buyer has not replied since.",
        "proposals_unanswered >= 1 and days_since_proposal >= days (10)",
        proposal_unanswered,
    ),
    RuleSpec(
        "one_more_proposal",
        "One more proposal",
        "The buyer keeps asking for another version of the proposal.",
        "proposals_sent >= count (3)",
        one_more_proposal,
    ),
    RuleSpec(
        "renegotiation",
        "Renegotiates terms",
        "The buyer reopened agreed terms repeatedly (notes).",
        "renegotiations >= count (2)",
        renegotiation,
    ),
)
