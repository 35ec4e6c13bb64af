"""Moving whole frames in and out of the database: bulk, never row by row through an ORM.

SQLite gets one ``executemany`` per table inside the caller's transaction; PostgreSQL
gets ``COPY``. Datetimes travel as naive UTC.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime

import polars as pl
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from walkaway.models import ACTIVITY_SCHEMA, DATETIME, DEAL_SCHEMA

_SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S%.6f"


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


def insert_frame(conn: Connection, table: sa.Table, frame: pl.DataFrame) -> int:
    """Insert every row of ``frame`` (columns named as the table's) in bulk."""
    if frame.height == 0:
        return 0
    columns = frame.columns
    if conn.dialect.name == "postgresql":
        _copy_postgres(conn, table.name, columns, frame)
    else:
        marks = ", ".join("?" for _ in columns)
        sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks})"
        conn.exec_driver_sql(sql, _for_sqlite(frame).rows())
    return frame.height


def _copy_postgres(
    conn: Connection, table: str, columns: Sequence[str], frame: pl.DataFrame
) -> None:
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
    columns: Sequence[sa.ColumnElement[object]],
    query: sa.Select[tuple[object, ...]],
    schema: dict[str, pl.DataType],
) -> pl.DataFrame:
    """Run ``query`` over ``columns`` and return a frame with ``schema``.

    On SQLite, datetime columns are selected as text and parsed by Polars in one go
    rather than row by row.
    """
    sqlite = conn.dialect.name == "sqlite"
    temporal = {n for n, d in schema.items() if d in (DATETIME, pl.Date())}
    selected = [
        sa.cast(c, sa.Text).label(n) if sqlite and n in temporal else c.label(n)
        for c, n in zip(columns, schema, strict=True)
    ]
    rows = conn.execute(query.with_only_columns(*selected)).fetchall()
    text_schema = {n: (pl.String() if sqlite and n in temporal else d) for n, d in schema.items()}
    frame = pl.DataFrame(rows, schema=text_schema, orient="row")
    if sqlite:
        frame = frame.with_columns(
            [
                pl.col(n).str.to_datetime("%Y-%m-%d %H:%M:%S%.f", time_unit="us")
                for n in temporal
                if schema[n] == DATETIME
            ]
            + [pl.col(n).str.to_date("%Y-%m-%d") for n in temporal if schema[n] == pl.Date()]
        )
    return frame.cast(schema)  # type: ignore[arg-type]


def load_deals(conn: Connection, where: sa.ColumnElement[bool] | None = None) -> pl.DataFrame:
    """Deals as a frame with :data:`walkaway.models.DEAL_SCHEMA`."""
    from walkaway.store.schema import deals

    columns = [deals.c[name] for name in DEAL_SCHEMA]
    query = sa.select(*columns)
    if where is not None:
        query = query.where(where)
    return read_frame(conn, columns, query.order_by(deals.c.deal_id), DEAL_SCHEMA)


def load_activities(
    conn: Connection,
    *,
    deal_ids: Sequence[str] | None = None,
    before: datetime | None = None,
    between: tuple[datetime, datetime] | None = None,
) -> pl.DataFrame:
    """Activities as a frame with :data:`walkaway.models.ACTIVITY_SCHEMA`, in time order.

    ``before`` keeps only what was dated strictly before that moment.
    """
    from walkaway.store.schema import activities

    columns = [activities.c[name] for name in ACTIVITY_SCHEMA]
    query = sa.select(*columns)
    if deal_ids is not None:
        query = query.where(activities.c.deal_id.in_(list(deal_ids)))
    if before is not None:
        query = query.where(activities.c.at < before)
    if between is not None:
        query = query.where(activities.c.at.between(*between))
    query = query.order_by(activities.c.deal_id, activities.c.at, activities.c.id)
    return read_frame(conn, columns, query, ACTIVITY_SCHEMA)
