"""Writing an import: the deals written, as the store then holds them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from walkaway.models import DEAL_SCHEMA
from walkaway.store import Store, schema
from walkaway.store.frames import load_deals
from walkaway.store.writing import in_index_order, start_run, write_deals


def _deals() -> pl.DataFrame:
    """Three deals with the floats a database may keep otherwise than they went in."""
    given: dict[str, list[Any]] = {
        "deal_id": ["Z-1", "Z-2", "Z-3"],
        "name": ["Zero", "Tiny \u00e9t\u00e9", None],
        "amount": [-0.0, 0.1, 1e300],
        "margin": [float("nan"), -0.0, None],
        "discount_requested": [5e-324, 1 / 3, None],
        "created_at": [
            datetime(2026, 1, 2, 3, 4, 5, 6),
            datetime(2026, 1, 2),
            datetime(2025, 5, 1),
        ],
        "expected_close": [date(2026, 3, 1), None, date(2026, 12, 31)],
        "closed_at": [None, datetime(2026, 2, 1, 23, 59, 59, 999999), None],
        "outcome": ["open", "won", "open"],
        "custom_requests": [0, 3, None],
        "attributes": ["{}", '{"a": 1}', "{}"],
    }
    columns = [
        pl.Series(name, given[name]).cast(dtype)
        if name in given
        else pl.lit(None, dtype).alias(name)
        for name, dtype in DEAL_SCHEMA.items()
    ]
    return pl.select(columns)


def _cells(frame: pl.DataFrame) -> list[list[str]]:
    # repr tells -0.0 from 0.0 and NaN from null: equal cells, bit for bit
    return [[repr(v) for v in row] for row in frame.sort("deal_id").iter_rows()]


def test_the_deals_written_are_the_deals_read_back_bit_for_bit(store: Store) -> None:
    deals = _deals()
    with store.begin() as conn:
        run = start_run(conn, "generic", "deals.csv", None)
        written = write_deals(conn, deals, "generic", run)
        back = load_deals(conn, schema.deals.c.import_run_id == run)
    assert (written.new, written.updated, written.unchanged) == (3, 0, 0)
    assert written.stored.schema == back.schema
    assert _cells(written.stored) == _cells(back)


def test_the_deals_an_update_wrote_are_read_back_alike(store: Store) -> None:
    deals = _deals()
    with store.begin() as conn:
        write_deals(conn, deals, "generic", start_run(conn, "generic", "deals.csv", None))
    changed = deals.with_columns(
        amount=pl.Series([-0.0, 0.2, 1e300]), margin=pl.Series([-0.0, -0.0, None])
    )
    with store.begin() as conn:
        run = start_run(conn, "generic", "deals.csv", None)
        written = write_deals(conn, changed, "generic", run)
        back = load_deals(conn, schema.deals.c.import_run_id == run)
    assert (written.new, written.updated) == (0, back.height)
    assert _cells(written.stored) == _cells(back)


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["A", "B", "b", "É", "A1"]),
            st.sampled_from([datetime(2026, 1, 1), datetime(2026, 1, 2), datetime(2025, 12, 31)]),
            st.integers(0, 9),
        ),
        max_size=30,
    ),
    st.booleans(),
)
def test_activities_go_in_index_order_as_a_stable_sort_puts_them(
    rows: list[tuple[str, datetime, int]], presorted: bool
) -> None:
    """Rows already in (deal_id, at) order are kept unsorted; any others sorted: either
    way the order a stable sort gives, rows at the same moment in their file's order."""
    frame = pl.DataFrame(rows, schema=["deal_id", "at", "n"], orient="row")
    if presorted:
        frame = frame.sort("deal_id", "at", maintain_order=True)
    assert in_index_order(frame).equals(frame.sort("deal_id", "at", maintain_order=True))
