"""What both CRMs' clients share: retries with back-off that honour Retry-After, and
records (JSON objects) as the text tables the importers read."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl
from urllib3.util.retry import Retry

from walkaway.importers.reading import ROW_COLUMN, RawTable

# 429 (rate limit) and the gateway errors a busy API answers with; each retry waits the
# Retry-After the API asked for, else 0.5 s, 1 s, 2 s, ... (at most 60 s).
RETRY_STATUSES = (429, 502, 503, 504)
MAX_RETRIES = 6


def retry_policy() -> Retry:
    """The urllib3 retry policy both clients run with."""
    return Retry(
        total=MAX_RETRIES,
        backoff_factor=0.5,
        backoff_max=60,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=None,  # every method: a 429 means the request was not processed
        respect_retry_after_header=True,
        raise_on_status=False,
    )


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def records_table(
    label: str, records: Sequence[Mapping[str, Any]], headers: Sequence[str]
) -> RawTable:
    """API records as a :class:`RawTable`: one text column per header, rows numbered
    from 2 as in a file (so a problem names record N as row N + 1)."""
    columns = {h: [_text(r.get(h)) for r in records] for h in headers}
    frame = pl.DataFrame(columns, schema={h: pl.String for h in headers})
    numbered = frame.with_row_index(ROW_COLUMN, offset=2)
    return RawTable(label, numbered.with_columns(pl.col(ROW_COLUMN).cast(pl.Int64)))
