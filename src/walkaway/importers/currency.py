"""The currency of each deal, from what the export says, before any default.

In order, for each row: the CRM's currency column (an ISO code such as ``usd``, or a
symbol such as ``$`` or ``€``); else the code or symbol written in the amount itself
(``USD 1,200``, ``€14,000``, ``1.200 EUR``). Rows that say nothing take the currency
the rest of the file names, when it names exactly one (an export that writes ``$`` on
some amounts is in dollars throughout); only a file that names none takes the default
(the policy's currency).
"""

from __future__ import annotations

import polars as pl

from walkaway.importers.mapping import currency_in_amount

ISO_CODE = r"^[A-Z]{3}$"


def named_currency(column: pl.Series) -> pl.Series:
    """The currency a currency column names: its ISO code upper-cased, or the code of
    the symbol it holds (``$`` -> USD, ``€`` -> EUR, ``CA$`` -> CAD); the text as given
    where it is neither, so that validation reports it."""
    text = column.str.strip_chars().str.to_uppercase()
    frame = pl.DataFrame({"text": text})
    by_symbol = currency_in_amount(pl.col("text") + pl.lit("1"))
    return frame.select(
        pl.when(pl.col("text").str.contains(ISO_CODE))
        .then(pl.col("text"))
        .otherwise(pl.coalesce(by_symbol, pl.col("text")))
        .alias(column.name)
    ).to_series()


def deal_currencies(named: pl.Series, amount_text: pl.Series, default: str) -> pl.Series:
    """Each row's currency (module docstring): ``named`` from a currency column, else
    the amount's own code or symbol, else the file's one currency, else ``default``."""
    frame = pl.DataFrame({"named": named, "amount": amount_text.cast(pl.String)})
    found = frame.select(
        pl.coalesce(pl.col("named"), currency_in_amount(pl.col("amount").str.strip_chars()))
    ).to_series()
    said = found.drop_nulls().filter(found.drop_nulls().str.contains(ISO_CODE)).unique()
    fallback = str(said[0]) if said.len() == 1 else default
    return found.fill_null(fallback).rename("currency")
