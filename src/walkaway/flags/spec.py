"""What a rule of the rulebook is: a code, its documentation, and how it reads signals.

A built-in rule turns the policy into three Polars expressions over the signals frame:
whether it fires for a deal, the evidence sentence (with the deal's own numbers) and
the question that would clear it. Evaluated over every deal at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from walkaway.policy import Policy


@dataclass(frozen=True)
class RuleExprs:
    """A rule applied: when it fires, what it says, what to ask."""

    fires: pl.Expr
    evidence: pl.Expr
    question: pl.Expr


@dataclass(frozen=True)
class RuleSpec:
    """A built-in rule and its documentation (the docs are checked against these)."""

    code: str
    title: str
    meaning: str
    threshold: str
    build: Callable[[Policy], RuleExprs] | None = None  # None: raised by decide.py


def ask(question: str) -> pl.Expr:
    return pl.lit(question)


def is_value(column: str, *values: str) -> pl.Expr:
    """The categorical signal equals one of ``values`` (null: it does not)."""
    return pl.col(column).is_in(list(values)).fill_null(False)


def at_least(column: str, threshold: float) -> pl.Expr:
    return (pl.col(column) >= threshold).fill_null(False)


def above(column: str, threshold: float | pl.Expr) -> pl.Expr:
    return (pl.col(column) > threshold).fill_null(False)


def unknown(column: str) -> pl.Expr:
    """Not known although the team tracks the field on other deals."""
    tracked = pl.col(f"tracks_{column}")
    return tracked & (pl.col(column).is_null() | (pl.col(column) == "unknown"))


def from_stage(policy: Policy, stage: str) -> pl.Expr:
    """The deal is in ``stage`` or later in the policy's order ("" : never)."""
    index = policy.stage_index(stage) if stage else None
    if index is None:
        return pl.lit(False)
    return (pl.col("stage_index") >= index).fill_null(False)
