"""The red-flag rulebook: signals in, flags out, each with evidence and a question.

Every rule is evaluated as Polars expressions over all deals at once; Python only
assembles the per-deal lists at the end. :data:`RULES` documents the built-in rules
(code, title, meaning, default threshold); the docs are checked against it. The
policy switches rules off (``[rules.<code>] enabled = false``), changes their
severity and thresholds, and adds team rules (``[[custom_rules]]``).

``find_flags_frame`` returns the long frame ``deal_id, code, severity, evidence,
question, hard_stop`` (most severe first within a deal); ``find_flags`` the same as
``{deal_id: [Flag, ...]}``.
"""

from __future__ import annotations

import weakref
from collections.abc import Collection, Sequence

import polars as pl

from walkaway.flags.custom import custom_rule_exprs
from walkaway.flags.momentum import SPECS as MOMENTUM
from walkaway.flags.qualification import SPECS as QUALIFICATION
from walkaway.flags.spec import RuleExprs, RuleSpec
from walkaway.models import Flag, Severity
from walkaway.policy import Policy

RULES: tuple[RuleSpec, ...] = MOMENTUM + QUALIFICATION
RULE_CODES: tuple[str, ...] = tuple(rule.code for rule in RULES)

SEVERITY_RANK: dict[str, int] = {Severity.CRITICAL: 0, Severity.WARNING: 1, Severity.INFO: 2}

FLAG_SCHEMA: dict[str, pl.DataType] = {
    "deal_id": pl.String(),
    "code": pl.String(),
    "severity": pl.String(),
    "evidence": pl.String(),
    "question": pl.String(),
    "hard_stop": pl.Boolean(),
}


def empty_flags() -> pl.DataFrame:
    return pl.DataFrame(schema=FLAG_SCHEMA)


AppliedRule = tuple[str, Severity, bool, RuleExprs]

# The rules built for a policy object, by the columns they were built over: building
# them is Python work, tens of thousands of expression nodes (a tenth of a second per
# deal assessed alone when each look ahead built them again). A policy is frozen and
# read once per text (walkaway.service.pipeline), so its identity is a key that holds
# while the object lives; the entry goes with it.
_BUILT: dict[int, tuple[weakref.ref[Policy], dict[tuple[object, ...], list[AppliedRule]]]] = {}
_SCHEMAS_KEPT = 16


def _build_rules(policy: Policy, schema: pl.Schema) -> list[AppliedRule]:
    """(code, severity, hard_stop, expressions) of every rule switched on, built once
    per policy object and columns."""
    key = id(policy)
    held = _BUILT.get(key)
    if held is None or held[0]() is not policy:
        held = (weakref.ref(policy, lambda _gone: _BUILT.pop(key, None)), {})
        _BUILT[key] = held
    columns = tuple(schema.items())
    rules = held[1].get(columns)
    if rules is None:
        rules = _rules_of(policy, schema)
        if len(held[1]) >= _SCHEMAS_KEPT:
            held[1].clear()
        held[1][columns] = rules
    return rules


def _rules_of(policy: Policy, schema: pl.Schema) -> list[AppliedRule]:
    applied = []
    for spec in RULES:
        if spec.build is not None and policy.is_enabled(spec.code):
            settings = policy.rule(spec.code)
            applied.append((spec.code, settings.severity, settings.hard_stop, spec.build(policy)))
    for index, rule in enumerate(policy.custom_rules):
        exprs = custom_rule_exprs(rule, index, schema)  # checked even when switched off
        if rule.enabled:
            applied.append((rule.code, rule.severity, rule.hard_stop, exprs))
    return applied


def find_flags_frame(signals: pl.DataFrame, policy: Policy) -> pl.DataFrame:
    """Every flag of every deal in ``signals``, most severe first within a deal."""
    return _flags(signals, policy, ["deal_id"])


def find_flags_frames(frames: Sequence[pl.DataFrame], policy: Policy) -> list[pl.DataFrame]:
    """:func:`find_flags_frame` of each of ``frames`` (signals of one pipeline at many
    moments, the same columns), in one pass over all of them: every rule reads one row
    at a time, so a deal's flags are the same whatever other rows are beside it."""
    if len({tuple(f.schema.items()) for f in frames}) != 1:  # not one frame's columns
        return [find_flags_frame(f, policy) for f in frames]
    numbered = [
        f.with_columns(pl.lit(i, dtype=pl.UInt32).alias(_LOOK)) for i, f in enumerate(frames)
    ]
    found = _flags(pl.concat(numbered), policy, [_LOOK, "deal_id"])
    if _LOOK not in found.columns:  # no rule switched on
        return [found] * len(frames)
    parts = found.partition_by(_LOOK, as_dict=True, include_key=False)
    empty = empty_flags()
    # Each part is in deal order, and says so as find_flags_frame's sort does: Polars
    # sums a group of a column known sorted in another order, and the odds made from
    # these flags must be the same to the last bit.
    sorted_ids = pl.col("deal_id").set_sorted()
    return [
        parts[(i,)].with_columns(sorted_ids) if (i,) in parts else empty for i in range(len(frames))
    ]


_LOOK = "_look"


def _flags(signals: pl.DataFrame, policy: Policy, keys: list[str]) -> pl.DataFrame:
    """The flags of ``signals``, sorted by ``keys`` then most severe first."""
    rules = _build_rules(policy, signals.schema)
    if not rules:
        return empty_flags()
    firing = _firing(signals, rules)
    # Only the rules that fire somewhere are worded: a rule's sentence is evaluated
    # even over no rows, and one deal alone fires few of them.
    lazy = firing.lazy()
    parts = [
        lazy.filter(_FIRES + str(order)).select(
            *keys,
            pl.lit(code).alias("code"),
            pl.lit(severity.value).alias("severity"),
            exprs.evidence.alias("evidence"),
            exprs.question.alias("question"),
            pl.lit(hard_stop).alias("hard_stop"),
            pl.lit(order, dtype=pl.Int32).alias("order"),
        )
        for order, (code, severity, hard_stop, exprs) in enumerate(rules)
        if _fires_somewhere(firing, order)
    ]
    if not parts:  # what the parts' concatenation would be, had they all been worded
        worded = [pl.lit(None, dtype=t).alias(c) for c, t in FLAG_SCHEMA.items() if c != "deal_id"]
        return signals.head(0).select(*keys, *worded).cast(FLAG_SCHEMA)  # type: ignore[arg-type]
    frame = pl.concat(parts).collect()
    rank = pl.col("severity").replace_strict(SEVERITY_RANK, return_dtype=pl.Int32)
    ordered = frame.sort([*keys, rank, "order"], maintain_order=True).drop("order")
    return ordered.cast(FLAG_SCHEMA)  # type: ignore[arg-type]


_FIRES = "__fires_"


def _firing(signals: pl.DataFrame, rules: list[AppliedRule]) -> pl.DataFrame:
    """``signals`` with a column per rule (``__fires_<order>``): whether it fires."""
    return signals.with_columns(
        exprs.fires.alias(_FIRES + str(order)) for order, (*_, exprs) in enumerate(rules)
    )


def _fires_somewhere(firing: pl.DataFrame, order: int) -> bool:
    return bool(firing[_FIRES + str(order)].any())


def rules_reading(policy: Policy, schema: pl.Schema, columns: Collection[str]) -> set[str]:
    """The codes of the rules switched on whose firing reads any of ``columns``."""
    wanted = set(columns)
    return {
        code
        for code, _, _, exprs in _build_rules(policy, schema)
        if wanted & set(exprs.fires.meta.root_names())
    }


def rule_columns(policy: Policy, schema: pl.Schema, codes: Collection[str]) -> set[str]:
    """The signal columns the firing of the rules ``codes`` reads."""
    return {
        name
        for code, _, _, exprs in _build_rules(policy, schema)
        if code in codes
        for name in exprs.fires.meta.root_names()
    }


def fired_flags(
    signals: pl.DataFrame, policy: Policy, codes: Collection[str] | None = None
) -> pl.DataFrame:
    """``deal_id, code, severity, hard_stop`` of every flag that fires (of the rules
    ``codes`` when given): which, not why — no evidence or question is worded, what
    replaying a deal ahead needs, cheaply. In the order of the rules, then of the rows."""
    rules = [
        rule for rule in _build_rules(policy, signals.schema) if codes is None or rule[0] in codes
    ]
    if not rules:
        return empty_flags().select("deal_id", "code", "severity", "hard_stop")
    names = [_FIRES + str(order) for order in range(len(rules))]
    said = {name: rule for name, rule in zip(names, rules, strict=True)}
    firing = signals.select(
        "deal_id",
        *[rule[3].fires.cast(pl.Boolean).alias(name) for name, rule in said.items()],
    )
    # A column after another, each in the rows' order: the order of the parts each
    # rule once filtered, concatenated.
    fired = firing.unpivot(names, index="deal_id", variable_name="rule").filter("value")
    rule = pl.col("rule")
    return fired.select(
        "deal_id",
        rule.replace_strict({n: r[0] for n, r in said.items()}, return_dtype=pl.String).alias(
            "code"
        ),
        rule.replace_strict({n: r[1].value for n, r in said.items()}, return_dtype=pl.String).alias(
            "severity"
        ),
        rule.replace_strict({n: r[2] for n, r in said.items()}, return_dtype=pl.Boolean).alias(
            "hard_stop"
        ),
    )


def flags_by_deal(frame: pl.DataFrame) -> dict[str, list[Flag]]:
    """``{deal_id: [Flag, ...]}`` from a flags frame (deals without flags are absent)."""
    result: dict[str, list[Flag]] = {}
    for deal_id, code, severity, evidence, question in frame.select(
        "deal_id", "code", "severity", "evidence", "question"
    ).iter_rows():
        result.setdefault(deal_id, []).append(Flag(code, Severity(severity), evidence, question))
    return result


def find_flags(signals: pl.DataFrame, policy: Policy) -> dict[str, list[Flag]]:
    """``{deal_id: [Flag, ...]}`` for every deal in ``signals`` (empty list: no flags)."""
    found = flags_by_deal(find_flags_frame(signals, policy))
    return {deal_id: found.get(deal_id, []) for deal_id in signals["deal_id"]}


_TITLES: dict[str, str] = {rule.code: rule.title for rule in RULES}


def flag_title(code: str) -> str:
    """A flag as a manager reads it: the rule's title ("Buyer gone quiet"), a team
    rule's code in words ("Too many seats" for ``too_many_seats``)."""
    return _TITLES.get(code) or code.replace("_", " ").strip().capitalize()
