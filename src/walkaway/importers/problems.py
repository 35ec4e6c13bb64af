"""Problems as a person reads them: one line each, and one line for a problem repeated
down a column ("column 'Amount' empty on 49 rows: 87, 112, …")."""

from __future__ import annotations

import polars as pl

from walkaway.importers.validate import problem_lines

# A problem on this many rows of one column, or more, is one line.
REPEATED = 3
# A summary line names this many rows, then "…".
ROWS_SHOWN = 8


def summarised_lines(problems: pl.DataFrame) -> list[str]:
    """One line per problem, except the same problem down one column: one line for all
    its rows, where its first row's line would have been."""
    if problems.height == 0:
        return []
    keyed = problems.sort("file", "row").with_columns(
        pl.col("value").is_null().alias("empty"),
        pl.len().over("file", "column", "expected", pl.col("value").is_null()).alias("times"),
    )
    single = keyed.filter(pl.col("times") < REPEATED)
    placed = list(
        zip(
            single["file"], single["row"], problem_lines(single.drop("empty", "times")), strict=True
        )
    )
    repeated = (
        keyed.filter(pl.col("times") >= REPEATED)
        .group_by("file", "column", "expected", "empty", maintain_order=True)
        .agg(pl.col("row"), pl.col("value"))
    )
    for file, column, expected, empty, rows, values in repeated.iter_rows():
        placed.append((file, rows[0], _summary(file, column, expected, empty, rows, values)))
    return [line for _file, _row, line in sorted(placed, key=lambda item: item[:2])]


def _summary(
    file: str, column: str, expected: str, empty: bool, rows: list[int], values: list[str]
) -> str:
    shown = ", ".join(str(r) for r in rows[:ROWS_SHOWN]) + (", …" if len(rows) > ROWS_SHOWN else "")
    if empty:
        return (
            f"{file}: column '{column}' empty on {len(rows):,} rows: {shown}; expected {expected}"
        )
    distinct = list(dict.fromkeys(values))
    quoted = ", ".join(repr(v[:30]) for v in distinct[:3]) + (", …" if len(distinct) > 3 else "")
    return f"{file}: column '{column}' is not {expected} on {len(rows):,} rows: {shown} ({quoted})"
