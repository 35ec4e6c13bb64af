"""Moving whole frames in and out of the database: bulk, never row by row through an ORM.

SQLite gets ``executemany`` of many-row ``INSERT`` statements inside the caller's
transaction, its values made a slice of the frame at a time; PostgreSQL gets ``COPY``
both ways. Reads take the driver's rows as they are, without building SQLAlchemy rows.
Datetimes travel as naive UTC.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import TYPE_CHECKING, Any

import polars as pl

from walkaway import lazy
from walkaway.models import ACTIVITY_SCHEMA, DATETIME, DEAL_SCHEMA
from walkaway.store.bulk_read import read_sqlite_columns

if TYPE_CHECKING:
    import sqlalchemy as sa
    from sqlalchemy.engine import Connection

    from walkaway.store import Store, schema
else:
    sa = lazy.module("sqlalchemy")
    schema = lazy.module("walkaway.store.schema")

if TYPE_CHECKING:
    import numpy as np
    from sqlalchemy.dialects import postgresql
else:
    postgresql = lazy.module("sqlalchemy.dialects.postgresql")
    np = lazy.module("numpy")

_SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S%.6f"
_STORED_DATETIME = "%Y-%m-%d %H:%M:%S.%6f"
_READ_DATETIME = "%Y-%m-%d %H:%M:%S%.f"
_PG_DATETIME = "YYYY-MM-DD HH24:MI:SS.US"
# Bound parameters per statement that every SQLite build accepts (newer ones: 250,000).
_SQLITE_PARAMETERS = 999
_BATCHES_PER_SLICE = 512
_SLICES_PER_PART = 2
# Reading the activities of more deals than this may be a bulk read (see read_frame).
_FEW_DEALS = 1000
# Column types read straight from the driver (or COPY); any other kind of schema is
# read through SQLAlchemy, whose result processors it may need.
_PLAIN_TYPES = (pl.String(), pl.Float64(), pl.Int64(), DATETIME, pl.Date())


def one_of(
    conn: Connection, column: sa.ColumnElement[Any], values: Sequence[str]
) -> sa.ColumnElement[bool]:
    """``column IN values`` as one bound parameter, however many values there are.

    A plain ``IN (...)`` binds one parameter per value, and PostgreSQL refuses more
    than 65,535, SQLite more than 250,000. Here PostgreSQL gets an array and SQLite a
    JSON list it reads with ``json_each``.
    """
    if conn.dialect.name == "postgresql":
        array = sa.bindparam(None, list(values), type_=postgresql.ARRAY(sa.String()))
        return column == sa.any_(array)
    each = sa.func.json_each(json.dumps(list(values))).table_valued("value")
    return column.in_(sa.select(each.c.value))


def _for_sqlite(frame: pl.DataFrame) -> pl.DataFrame:
    """SQLite keeps datetimes as text in SQLAlchemy's layout; write them that way."""
    exprs = []
    for name, dtype in frame.schema.items():
        if dtype == DATETIME or isinstance(dtype, pl.Datetime):
            exprs.append(pl.col(name).dt.strftime(_SQLITE_DATETIME))
        elif dtype == pl.Date:
            exprs.append(pl.col(name).dt.strftime("%Y-%m-%d"))
        elif dtype == pl.Boolean:
            exprs.append(pl.col(name).cast(pl.Int8))
        else:
            exprs.append(pl.col(name))
    return frame.select(exprs)


def as_stored(conn: Connection, frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` as the database gives it back once :func:`insert_frame` wrote it: SQLite
    keeps a float NaN as NULL and -0.0 as 0.0 (PostgreSQL keeps both); text, whole
    numbers, dates and datetimes (to the microsecond) come back as they went."""
    if conn.dialect.name != "sqlite":
        return frame
    floats = pl.col(pl.Float64).fill_nan(None)
    # (a written `+ 0.0` would turn -0.0 into 0.0, but Polars drops it as adding nothing)
    return frame.with_columns(pl.when(floats == 0).then(0.0).otherwise(floats).name.keep())


def insert_frame(conn: Connection, table: sa.Table, frame: pl.DataFrame) -> int:
    """Insert every row of ``frame`` (columns named as the table's) in bulk."""
    return prepared_insert(conn, table, frame)()


def prepared_insert(conn: Connection, table: sa.Table, frame: pl.DataFrame) -> Callable[[], int]:
    """:func:`insert_frame` in two steps: on SQLite the columns the first rows' values
    are taken from are made now (Polars' work), and the INSERTs run when the call
    returned is made (the driver's, the next rows' columns made beside them), which
    returns the rows inserted."""
    if frame.height == 0:
        return lambda: 0
    if conn.dialect.name == "postgresql":
        return lambda: _copy_postgres(conn, table.name, frame.columns, frame)
    return _insert_sqlite(conn, table.name, frame)


def _insert_sqlite(conn: Connection, table: str, frame: pl.DataFrame) -> Callable[[], int]:
    # Many rows to a statement: SQLite's per-statement work is paid once per batch. The
    # values are made a part of the rows at a time: the first part's now, each next
    # part's on a thread (Polars' work, without Python's lock) while SQLite stores the
    # part before.
    per = max(1, _SQLITE_PARAMETERS // frame.width)
    step = per * _BATCHES_PER_SLICE * _SLICES_PER_PART
    parts = [(begin, min(begin + step, frame.height)) for begin in range(0, frame.height, step)]
    first = _part_columns(frame, *parts[0])

    def insert() -> int:
        raw = conn.connection.driver_connection
        assert raw is not None
        cursor = raw.cursor()  # type: ignore[attr-defined]
        try:
            with ThreadPoolExecutor(max_workers=1) as ahead:
                columns, following = first, iter(parts[1:])
                for begin, end in parts:
                    after = next(following, None)
                    made = None if after is None else ahead.submit(_part_columns, frame, *after)
                    whole = begin + (end - begin) // per * per  # the last part's tail: 1 row
                    for start, stop, rows in ((begin, whole, per), (whole, end, 1)):
                        if stop > start:
                            sql = _insert_sql(table, frame.columns, rows)
                            batches = _batches(columns, start - begin, stop - begin, rows)
                            cursor.executemany(sql, batches)
                    if made is not None:
                        columns = made.result()
        finally:
            cursor.close()
        return frame.height

    return insert


def _part_columns(frame: pl.DataFrame, begin: int, end: int) -> list[Callable[[int, int], Any]]:
    """Rows ``begin`` to ``end`` of ``frame``, column by column, as SQLite takes them."""
    part = _for_sqlite(frame.slice(begin, end - begin))
    return [_objects(column) for column in part.iter_columns()]


def _insert_sql(table: str, columns: Sequence[str], rows: int) -> str:
    row = f"({', '.join('?' for _ in columns)})"
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([row] * rows)}"


def _batches(
    columns: Sequence[Callable[[int, int], Any]], begin: int, end: int, rows: int
) -> Iterator[list[Any]]:
    """The values of rows ``begin`` to ``end``, ``rows`` rows at a time, row after row,
    made a slice at a time as SQLite takes them: never a million tuples in memory, nor
    one tuple per row."""
    width, step = len(columns), rows * _BATCHES_PER_SLICE
    for start in range(begin, end, step):
        grid = np.empty((min(step, end - start), width), dtype=object)
        for index, column in enumerate(columns):
            grid[:, index] = column(start, start + len(grid))
        yield from grid.reshape(-1, width * rows).tolist()


def _objects(column: pl.Series) -> Callable[[int, int], Any]:
    """Slices of ``column`` as Python objects. A text column of few distinct values
    (kinds, owners, stages) makes one object per value and repeats it: quicker; one in
    runs of equal values (the deal ids of rows in index order) one object per run,
    found without hashing a value."""
    if column.dtype == pl.String and _few_runs(column.head(1024)):
        runs = column.rle_id()
        if (runs[-1] + 1) * 4 < len(column):
            values = np.array(column.rle().struct.field("value").to_list(), dtype=object)
            return lambda start, stop: np.take(values, runs[start:stop].to_numpy())
    if column.dtype == pl.String and _few_distinct(column.head(1024)):
        distinct = column.drop_nulls().unique()
        if len(distinct) * 4 < len(column):
            codes = column.cast(pl.Enum(distinct)).to_physical().fill_null(len(distinct))
            values = np.array([*distinct.to_list(), None], dtype=object)
            return lambda start, stop: np.take(values, codes[start:stop].to_numpy())
    return lambda start, stop: column[start:stop].to_list()


def _few_distinct(sample: pl.Series) -> bool:
    return sample.n_unique() * 4 < len(sample)


def _few_runs(sample: pl.Series) -> bool:
    return len(sample) > 0 and (sample.rle_id()[-1] + 1) * 4 < len(sample)


def _copy_postgres(
    conn: Connection, table: str, columns: Sequence[str], frame: pl.DataFrame
) -> int:
    buffer = io.BytesIO()
    # Polars writes null as an empty unquoted field, which COPY reads as NULL, and an
    # empty string quoted (our frames have no empty strings: they are null).
    frame.write_csv(buffer, include_header=False, datetime_format="%Y-%m-%d %H:%M:%S%.6f")
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cursor:  # type: ignore[attr-defined]
        sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)"
        with cursor.copy(sql) as copy:
            copy.write(buffer.getvalue())
    return frame.height


def update_frame(conn: Connection, table: sa.Table, key: str, frame: pl.DataFrame) -> int:
    """Update rows matched on ``key`` with every other column of ``frame``."""
    if frame.height == 0:
        return 0
    others = [c for c in frame.columns if c != key]
    if conn.dialect.name == "postgresql":
        assignments = ", ".join(f"{c} = %s" for c in others)
        sql = f"UPDATE {table.name} SET {assignments} WHERE {key} = %s"
        rows = frame.select([*others, key]).rows()
    else:
        assignments = ", ".join(f"{c} = ?" for c in others)
        sql = f"UPDATE {table.name} SET {assignments} WHERE {key} = ?"
        rows = _for_sqlite(frame.select([*others, key])).rows()
    conn.exec_driver_sql(sql, rows)
    return frame.height


def read_frame(
    conn: Connection,
    columns: Sequence[sa.ColumnElement[Any]],
    query: sa.Select[Any],
    schema: dict[str, pl.DataType],
    *,
    bulk: bool = False,
) -> pl.DataFrame:
    """Run ``query`` over ``columns`` and return a frame with ``schema``.

    Dates and datetimes are selected as text in one layout and parsed by Polars in one
    go. On PostgreSQL the rows come as ``COPY`` CSV, on SQLite as the driver's tuples
    or, for a ``bulk`` read of a big table, as Arrow from a reader process
    (:mod:`walkaway.store.bulk_read`).
    """
    plain = all(dtype in _PLAIN_TYPES for dtype in schema.values())
    if plain and bulk and conn.dialect.name == "sqlite":
        read = read_sqlite_columns(conn, columns, query, schema)
        if read is not None:
            return read
    if plain and conn.dialect.name == "postgresql":
        frame = _copy_out_postgres(conn, columns, query, schema)
    else:
        frame = _fetch_rows(conn, columns, query, schema, raw=plain)
    return frame.cast(schema)  # type: ignore[arg-type]


def _temporal(schema: dict[str, pl.DataType]) -> dict[str, pl.DataType]:
    return {n: d for n, d in schema.items() if d in (DATETIME, pl.Date())}


def _parse_temporal(frame: pl.DataFrame, temporal: dict[str, pl.DataType]) -> pl.DataFrame:
    return frame.with_columns(
        _to_datetime(frame[n]) if d == DATETIME else frame[n].str.to_date("%Y-%m-%d")
        for n, d in temporal.items()
    )


def _to_datetime(text: pl.Series) -> pl.Series:
    # Stored datetimes have six fraction digits (SQLAlchemy's layout on SQLite, ours on
    # PostgreSQL): that exact layout parses four times faster than any fraction.
    parsed = text.str.to_datetime(_STORED_DATETIME, time_unit="us", strict=False)
    if parsed.null_count() > text.null_count():
        parsed = text.str.to_datetime(_READ_DATETIME, time_unit="us")
    return parsed


def _fetch_rows(
    conn: Connection,
    columns: Sequence[sa.ColumnElement[Any]],
    query: sa.Select[Any],
    schema: dict[str, pl.DataType],
    *,
    raw: bool,
) -> pl.DataFrame:
    temporal = _temporal(schema) if conn.dialect.name == "sqlite" else {}
    selected = [
        sa.cast(c, sa.Text).label(n) if n in temporal else c.label(n)
        for c, n in zip(columns, schema, strict=True)
    ]
    result = conn.execute(query.with_only_columns(*selected))
    # The driver's own tuples: for millions of rows, building SQLAlchemy rows costs
    # more than the query. Only for plain types, which need no result processing.
    rows = result.cursor.fetchall() if raw else result.fetchall()
    result.close()
    return _rows_frame(rows, schema, temporal)


def _rows_frame(
    rows: Sequence[Sequence[Any]], schema: dict[str, pl.DataType], temporal: dict[str, pl.DataType]
) -> pl.DataFrame:
    text_schema = {n: (pl.String() if n in temporal else d) for n, d in schema.items()}
    frame = pl.DataFrame(rows, schema=text_schema, orient="row")
    return _parse_temporal(frame, temporal)


def frame_of(
    rows: Sequence[Sequence[Any]], schema: dict[str, pl.DataType], *, sqlite: bool
) -> pl.DataFrame:
    """The driver's ``rows`` (:meth:`walkaway.store.Store.rows`, selected in ``schema``'s
    order) as a frame with ``schema``, as :func:`read_frame` makes it: on SQLite, dates
    and datetimes come as text and are parsed in one go."""
    frame = _rows_frame(rows, schema, _temporal(schema) if sqlite else {})
    return frame.cast(schema)  # type: ignore[arg-type]


def _copy_out_postgres(
    conn: Connection,
    columns: Sequence[sa.ColumnElement[Any]],
    query: sa.Select[Any],
    schema: dict[str, pl.DataType],
) -> pl.DataFrame:
    temporal = _temporal(schema)
    selected = [
        sa.func.to_char(c, _PG_DATETIME if schema[n] == DATETIME else "YYYY-MM-DD").label(n)
        if n in temporal
        else c.label(n)
        for c, n in zip(columns, schema, strict=True)
    ]
    statement = query.with_only_columns(*selected)
    compiled = statement.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    data = _copy_out(conn, f"COPY ({compiled}) TO STDOUT WITH (FORMAT csv)", compiled.params)
    if not data:
        return pl.DataFrame(schema=schema)
    # Every column as text first: COPY writes floats as 'NaN' and 'Infinity', which the
    # cast reads and the CSV reader's number parser may not.
    frame = pl.read_csv(data, has_header=False, new_columns=list(schema), infer_schema=False)
    return _parse_temporal(frame, temporal)


def _copy_out(conn: Connection, sql: str, params: dict[str, Any]) -> bytes:
    raw = conn.connection.driver_connection
    assert raw is not None
    buffer = io.BytesIO()
    with raw.cursor() as cursor:  # type: ignore[attr-defined]
        # Every digit a float has, whatever the server's default (for this transaction).
        cursor.execute("SELECT set_config('extra_float_digits', '3', true)")
        # psycopg merges COPY parameters client-side, and reads %% as % only then.
        with cursor.copy(sql if params else sql.replace("%%", "%"), params or None) as copy:
            for block in copy:
                buffer.write(block)
    return buffer.getvalue()


def load_deals(conn: Connection, where: sa.ColumnElement[bool] | None = None) -> pl.DataFrame:
    """Deals as a frame with :data:`walkaway.models.DEAL_SCHEMA`."""
    columns = [schema.deals.c[name] for name in DEAL_SCHEMA]
    query = sa.select(*columns)
    if where is not None:
        query = query.where(where)
    return read_frame(conn, columns, query.order_by(schema.deals.c.deal_id), DEAL_SCHEMA)


def load_activities(
    conn: Connection,
    *,
    deal_ids: Sequence[str] | None = None,
    before: datetime | None = None,
    between: tuple[datetime, datetime] | None = None,
    ordered: bool = True,
) -> pl.DataFrame:
    """Activities as a frame with :data:`walkaway.models.ACTIVITY_SCHEMA`, in time order
    per deal (unless not ``ordered``, which is quicker).

    ``before`` keeps only what was dated strictly before that moment.
    """
    columns = [schema.activities.c[name] for name in ACTIVITY_SCHEMA]
    query = sa.select(*columns)
    if deal_ids is not None:
        query = query.where(one_of(conn, schema.activities.c.deal_id, deal_ids))
    if before is not None:
        query = query.where(schema.activities.c.at < before)
    if between is not None:
        query = query.where(schema.activities.c.at.between(*between))
    if ordered:
        query = query.order_by(
            schema.activities.c.deal_id, schema.activities.c.at, schema.activities.c.id
        )
    bulk = deal_ids is None or len(deal_ids) > _FEW_DEALS
    return read_frame(conn, columns, query, ACTIVITY_SCHEMA, bulk=bulk)


_ONE_DEAL = f"SELECT {', '.join(DEAL_SCHEMA)} FROM deals WHERE deal_id = ?"
_ONE_DEALS_ACTIVITIES = (
    f"SELECT {', '.join(ACTIVITY_SCHEMA)} FROM activities "
    "WHERE deal_id = ? AND at < ? ORDER BY at, id"
)


def one_deal(store: Store, deal_id: str, before: datetime) -> tuple[pl.DataFrame, pl.DataFrame]:
    """One deal's row (none when the store holds no such deal) and its activities dated
    before ``before``, as :func:`load_deals` and :func:`load_activities` give them: two
    reads through the indexes, by the driver (:meth:`walkaway.store.Store.rows`)."""
    sqlite = store.dialect == "sqlite"
    with store.rows() as rows:
        deal = rows(_ONE_DEAL, (deal_id,))
        timeline = rows(_ONE_DEALS_ACTIVITIES, (deal_id, before))
    return (
        frame_of(deal, DEAL_SCHEMA, sqlite=sqlite),
        frame_of(timeline, ACTIVITY_SCHEMA, sqlite=sqlite),
    )


def activity_rows(store: Store, deal_id: str, before: datetime) -> list[dict[str, Any]]:
    """One deal's activities dated before ``before``, oldest first (ties in the order they
    were stored), as plain rows with :data:`walkaway.models.ACTIVITY_SCHEMA`'s columns:
    :func:`one_deal`'s read of them, without the deal's row."""
    with store.rows() as rows:
        found = rows(_ONE_DEALS_ACTIVITIES, (deal_id, before))
    return frame_of(found, ACTIVITY_SCHEMA, sqlite=store.dialect == "sqlite").to_dicts()
