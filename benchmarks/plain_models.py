"""The plain models the trap shapes are measured against (``trap_shapes.py``).

Both learn from the history's honest columns only: every extra column but the traps,
the owner and the amount. Not the stage: a closed deal's stage is where it ended, not
where it stood while open.

- ``lightgbm``: LightGBM's defaults with 200 trees at a learning rate of 0.05, the text
  columns as native categories (empty cells missing);
- ``logistic``: an L2 logistic regression (C 0.5), text one-hot (values on fewer than 5
  deals pooled), numbers as log1p when never negative, empty cells imputed with the
  median and flagged, standardised.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np
import polars as pl

from walkaway.sample.shapes import Split


def attribute_table(deals: pl.DataFrame) -> pl.DataFrame:
    """The deals' extra columns as text, in the order of the export."""
    attributes = deals["attributes"].fill_null("{}").str.json_decode(infer_schema_length=None)
    if not isinstance(attributes.dtype, pl.Struct):
        return pl.DataFrame()
    table = attributes.struct.unnest()
    first = json.loads(deals["attributes"].drop_nulls().first() or "{}")  # type: ignore[arg-type]
    order = [k for k in first if k in table.columns]
    return table.select([*order, *(c for c in table.columns if c not in order)]).select(
        pl.all().cast(pl.String)
    )


def _plain_table(deals: pl.DataFrame, trap_columns: tuple[str, ...]) -> pl.DataFrame:
    """The honest columns of each deal: its extra columns but the traps, owner, amount."""
    table = attribute_table(deals)
    table = table.drop([c for c in trap_columns if c in table.columns])
    return pl.concat([deals.select("owner", "amount"), table], how="horizontal")


def plain_scores(
    split: Split, trap_columns: tuple[str, ...], crashes: list[str]
) -> dict[str, pl.DataFrame]:
    """``p_lightgbm`` and ``p_logistic`` of each open deal, trained on the closed deals'
    honest columns (module docstring); a model that fails is noted in ``crashes``."""
    deals = split.pipeline.deals
    closed = deals.filter(pl.col("outcome") != "open")
    scored = deals.filter(pl.col("outcome") == "open")
    table = _plain_table(pl.concat([closed, scored]), trap_columns)
    numeric = [c for c in table.columns if _is_number(table[c])]
    text = [c for c in table.columns if c not in numeric and table[c].drop_nulls().len()]
    y = (closed["outcome"] == "won").to_numpy()
    out: dict[str, pl.DataFrame] = {}
    for method, fit in (("lightgbm", _lightgbm), ("logistic", _logistic)):
        p = _guarded(crashes, f"plain {method}", lambda f=fit: f(table, numeric, text, y))  # type: ignore[misc]
        if p is not None:
            out[method] = scored.select("deal_id", pl.Series(f"p_{method}", p))
    return out


def _is_number(column: pl.Series) -> bool:
    filled = column.drop_nulls()
    if column.dtype.is_numeric():
        return True
    return bool(filled.len()) and filled.cast(pl.Float64, strict=False).null_count() == 0


def _lightgbm(
    table: pl.DataFrame, numeric: list[str], text: list[str], y: np.ndarray
) -> np.ndarray:
    from lightgbm import LGBMClassifier

    columns = [table[c].cast(pl.Float64).to_numpy() for c in numeric]
    columns += [
        table[c].cast(pl.Categorical).to_physical().cast(pl.Float64).to_numpy() for c in text
    ]
    x = np.column_stack(columns) if columns else np.zeros((table.height, 1))
    n = y.size
    if y.min() == y.max():
        return np.full(table.height - n, float(y.mean()))
    model = LGBMClassifier(n_estimators=200, learning_rate=0.05, verbose=-1)
    model.fit(x[:n], y, categorical_feature=list(range(len(numeric), len(columns))) or "auto")
    result: np.ndarray = np.asarray(model.predict_proba(x[n:]))[:, 1]
    return result


def _logistic(
    table: pl.DataFrame, numeric: list[str], text: list[str], y: np.ndarray
) -> np.ndarray:
    from scipy import sparse
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    n = y.size
    if y.min() == y.max():
        return np.full(table.height - n, float(y.mean()))
    blocks = []
    if numeric:
        numbers = table.select([pl.col(c).cast(pl.Float64) for c in numeric])
        logged = numbers.select(
            pl.col(c).log1p() if (numbers[c].min() or 0.0) >= 0 else pl.col(c)  # type: ignore[operator]
            for c in numeric
        ).to_numpy()
        scale = make_pipeline(
            SimpleImputer(strategy="median", add_indicator=True), StandardScaler()
        )
        scale.fit(logged[:n])
        blocks.append(sparse.csr_matrix(scale.transform(logged)))
    if text:
        cells = table.select(pl.col(c).fill_null("?") for c in text).to_numpy().astype(str)
        encoder = OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=5)
        encoder.fit(cells[:n])
        blocks.append(encoder.transform(cells))
    if not blocks:
        return np.full(table.height - n, float(y.mean()))
    x = sparse.hstack(blocks).tocsr()
    model = LogisticRegression(C=0.5, max_iter=2000).fit(x[:n], y)
    result: np.ndarray = model.predict_proba(x[n:])[:, 1]
    return result


def _guarded(crashes: list[str], step: str, work: Callable[[], Any]) -> Any:
    try:
        return work()
    except Exception as error:
        crashes.append(f"{step}: traceback: {type(error).__name__}: {error}")
        return None
