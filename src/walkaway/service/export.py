"""The review written out: JSON and CSV, a slice of deals at a time.

The text of a whole pipeline is never held at once (3 GB for a million deals): each
slice is written as it is made, the next ones made on threads meanwhile
(:func:`made_ahead`).
"""

from __future__ import annotations

import io
import json
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, BinaryIO, TypeVar

import polars as pl
import polars.selectors as cs

from walkaway.models import ISO_UTC, iso_utc
from walkaway.reporting.spreadsheet import spreadsheet_safe
from walkaway.service.review import Review

if TYPE_CHECKING:
    from concurrent.futures import Future

T = TypeVar("T")


# Rows a review writes out at a time: the text of one slice is in memory, never that of
# a whole pipeline (3 GB for a million deals).
WRITE_ROWS = 20_000
# The JSON's slices are smaller: each is made in a buffer of its own, and one of 60 MB
# (20,000 deals) is past the size the C allocator serves from memory it keeps, so every
# slice came in fresh pages the kernel had to zero, 290 MB of them for 100,000 deals
# (0.35 of the 1.15 CPU s of writing). 2,000 deals (about 6 MB) reuse the memory.
JSON_ROWS = 2_000


def iso_moments(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with its date-times as ISO text with the UTC offset, as JSON carries them
    (:func:`walkaway.models.iso_utc`); Polars would write ``2026-11-16 09:30:00``."""
    return frame.with_columns(cs.datetime().dt.strftime(ISO_UTC))


def write_review_json(result: Review, out: BinaryIO, *, rows: int = JSON_ROWS) -> None:
    """The review as one JSON object in UTF-8 onto ``out``, ``{"as_of": ..., "deals":
    [...], "summary": {...}}``, ``rows`` deals at a time; list fields are lists even
    when empty.

    Polars writes the deals in one pass, straight into the bytes that go out (turning
    100,000 nested rows into Python objects and back, ``json.dumps`` of
    ``json.loads(frame.write_json())``, took ten times longer; so does a detour through
    text).
    """
    as_of = json.dumps(iso_utc(result.as_of))
    summary = json.dumps(result.summary, ensure_ascii=False)
    out.write(f'{{"as_of": {as_of}, "deals": ['.encode())
    lists = [
        pl.col(n).fill_null(pl.lit([], dtype=t))
        for n, t in result.deals.schema.items()
        if isinstance(t, pl.List)
    ]

    def piece(start: int) -> bytes:
        text = io.BytesIO()
        iso_moments(result.deals.slice(start, rows).with_columns(lists)).write_json(text)
        return text.getvalue()

    for index, text in enumerate(made_ahead(piece, range(0, result.deals.height, rows))):
        if index:
            out.write(b",")
        out.write(memoryview(text)[1:-1])  # "[{...},{...}]": its rows go in the one array
    out.write(f'], "summary": {summary}}}'.encode())


def made_ahead(make: Callable[[int], T], keys: Iterable[int], ahead: int = 2) -> Iterator[T]:
    """``make(key)`` for each key, in order, made on ``ahead`` threads while the caller
    writes the one before: Polars lets go of the interpreter while it writes, so the two
    cores share the work. At most ``ahead + 1`` results are made or being made at a time
    (memory stays that of a few slices, whatever the pipeline's size)."""
    with ThreadPoolExecutor(ahead, thread_name_prefix="walkaway-write") as pool:
        waiting: deque[Future[T]] = deque()
        for key in keys:
            waiting.append(pool.submit(make, key))
            if len(waiting) > ahead:
                yield waiting.popleft().result()
        while waiting:
            yield waiting.popleft().result()


def review_json_bytes(result: Review) -> bytes:
    """:func:`write_review_json` as bytes."""
    out = io.BytesIO()
    write_review_json(result, out)
    return out.getvalue()


def review_csv(result: Review) -> str:
    """The review as CSV, one row per deal (the API's ``format=csv``): list columns
    joined into text, every cell safe to open in a spreadsheet (no formula runs)."""
    out = io.BytesIO()
    write_review_csv(result, out)
    return out.getvalue().decode()


def write_review_csv(result: Review, out: BinaryIO, *, rows: int = WRITE_ROWS) -> None:
    """:func:`review_csv` onto ``out`` in UTF-8, ``rows`` deals at a time (``walkaway
    review --format csv``)."""
    for start in range(0, max(result.deals.height, 1), rows):
        flat = _flat(result.deals.slice(start, rows))
        spreadsheet_safe(flat).write_csv(out, include_header=start == 0)


def _flat(deals: pl.DataFrame) -> pl.DataFrame:
    flat = deals.with_columns(
        pl.col("flags").list.eval(pl.element().struct.field("code")).list.join(";"),
        *[
            pl.col(c).list.join(" | ")
            for c in ("reasons", "questions", "reasons_for", "reasons_against")
        ],
    )
    # every other list column (e.g. missing_criteria) as text too
    flat = flat.with_columns(
        pl.col(name).list.join("; ")
        for name, dtype in flat.schema.items()
        if isinstance(dtype, pl.List)
    )
    return flat
