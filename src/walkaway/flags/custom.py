"""Team rules from the policy's ``[[custom_rules]]``, read as Polars expressions.

A condition compares one signal (a column of the signals frame, see
``walkaway.signals.frame.SIGNALS``) with a value; evidence and question may quote any signal
as ``{name}``. Unknown signals and values of the wrong kind are refused with one line.
"""

from __future__ import annotations

import difflib
import operator
from collections.abc import Callable
from string import Formatter

import polars as pl

from walkaway.errors import PolicyError
from walkaway.flags.spec import RuleExprs
from walkaway.policy import Condition, CustomRule
from walkaway.wording import number

OPERATORS: dict[str, Callable[[pl.Expr, pl.Expr], pl.Expr]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
}


def custom_rule_exprs(rule: CustomRule, index: int, schema: pl.Schema) -> RuleExprs:
    """The rule's expressions; ``index`` places it in the policy for error messages."""
    where = f"custom_rules[{index}]"
    fires = pl.lit(True)
    for j, condition in enumerate(rule.when):
        fires = fires & _condition(condition, f"{where}.when[{j}]", schema)
    return RuleExprs(
        fires=fires,
        evidence=_template(rule.evidence, f"{where}.evidence", schema),
        question=_template(rule.question, f"{where}.question", schema),
    )


def _signal(name: str, path: str, schema: pl.Schema) -> pl.DataType:
    if name not in schema:
        close = difflib.get_close_matches(name, list(schema), n=1)
        hint = f"did you mean '{close[0]}'?" if close else "see the list of signals in the docs"
        raise PolicyError(f"policy key '{path}': unknown signal '{name}'; {hint}")
    return schema[name]


def _condition(condition: Condition, path: str, schema: pl.Schema) -> pl.Expr:
    dtype = _signal(condition.signal, f"{path}.signal", schema)
    value = condition.value
    if dtype.is_numeric():
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif dtype == pl.Boolean:
        ok = isinstance(value, bool)
    else:
        ok = dtype == pl.String and isinstance(value, str)
    if not ok:
        raise PolicyError(
            f"policy key '{path}.value': signal '{condition.signal}' is {_kind(dtype)}, "
            f"got {value!r}"
        )
    compare = OPERATORS[condition.op]
    return compare(pl.col(condition.signal), pl.lit(value)).fill_null(False)


def _kind(dtype: pl.DataType) -> str:
    if dtype.is_numeric():
        return "a number"
    if dtype == pl.Boolean:
        return "true/false"
    if dtype == pl.String:
        return "text"
    return "not comparable"


def _template(template: str, path: str, schema: pl.Schema) -> pl.Expr:
    parts: list[pl.Expr] = []
    try:
        parsed = list(Formatter().parse(template))
    except ValueError as error:
        raise PolicyError(f"policy key '{path}': {error} (write {{{{ for a brace)") from None
    for literal, field, _spec, _conversion in parsed:
        if literal:
            parts.append(pl.lit(literal))
        if field is not None:
            parts.append(_show_as_text(field, _signal(field, path, schema)))
    return pl.concat_str(parts) if parts else pl.lit("")


def _show_as_text(name: str, dtype: pl.DataType) -> pl.Expr:
    column = pl.col(name)
    if dtype.is_numeric():
        shown = number(column)
    elif isinstance(dtype, pl.List):
        shown = column.list.join(", ")
    elif dtype == pl.Boolean:
        shown = pl.when(column).then(pl.lit("yes")).otherwise(pl.lit("no"))
    else:
        shown = column.cast(pl.String)
    return shown.fill_null("unknown")
