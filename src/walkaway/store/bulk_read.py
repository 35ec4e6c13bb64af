"""Big reads of a SQLite file, through ConnectorX, in a process of its own.

Python's sqlite3 driver makes a tuple per row and an object per value: for five million
activities that is two thirds of a review. ConnectorX reads the file in Rust straight
into Arrow, each column typed by its declared type (DATETIME, DATE, FLOAT, ...).

It runs in a child process (``python -m walkaway.store.bulk_read``) that hands the frame
back as an Arrow IPC stream. Not in this one: ConnectorX carries its own copy of SQLite,
and two copies of SQLite in one process break each other's file locks (POSIX locks
belong to the process; a copy closing the file drops the other's) -- the store then
fails with "disk I/O error". Two processes are SQLite's everyday case.

The child opens its own connection, so it is used only where that connection sees what
the caller's would: a database file (not one in memory) and no uncommitted writes on the
caller's connection (the store runs SQLite in WAL mode, so it reads beside a writer).
Small reads, and anything the child cannot do (a value its column's declared type does
not hold, ConnectorX missing), stay on the driver's path: :func:`read_sqlite_columns`
then returns None.
"""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import polars as pl

from walkaway import lazy

if TYPE_CHECKING:
    import sqlalchemy as sa
    from sqlalchemy.engine import Connection
else:
    sa = lazy.module("sqlalchemy")

# Below this many rows the driver's path takes about as long as starting the child.
MIN_ROWS = 250_000

# What ConnectorX may return for a column of each schema type (integers in a FLOAT
# column are read as floats; a column of NULLs still has its declared type).
_READS_AS: dict[pl.DataType, tuple[pl.DataType, ...]] = {
    pl.String(): (pl.String(),),
    pl.Float64(): (pl.Float64(), pl.Int64()),
    pl.Int64(): (pl.Int64(),),
    pl.Date(): (pl.Date(),),
    pl.Datetime("us"): (pl.Datetime("us"), pl.Datetime("ns"), pl.Datetime("ms")),
}


def sqlite_file(conn: Connection) -> str | None:
    """The SQLite file another process may read for ``conn``, or None."""
    if conn.dialect.name != "sqlite":
        return None
    database = conn.engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    # pysqlite opens a transaction only before a write: then only this connection sees it.
    if getattr(conn.connection.dbapi_connection, "in_transaction", True):
        return None
    return str(Path(database).resolve())


def _table_rows(conn: Connection, table: sa.Table) -> int:
    """At most how many rows ``table`` holds, from its rowids (no scan)."""
    rowid: sa.ColumnElement[int] = sa.literal_column("rowid")
    span = sa.select(sa.func.max(rowid) - sa.func.min(rowid)).select_from(table)
    found = conn.execute(span).scalar()
    return 0 if found is None else int(found) + 1


def read_sqlite_columns(
    conn: Connection,
    columns: Sequence[sa.ColumnElement[Any]],
    query: sa.Select[Any],
    schema: dict[str, pl.DataType],
    *,
    min_rows: int | None = None,
) -> pl.DataFrame | None:
    """``query`` over the table ``columns`` as a frame with ``schema``, read by the child
    process; None when this path does not apply (the caller reads through the driver):
    among others when the table has fewer than ``min_rows`` rows (default :data:`MIN_ROWS`)."""
    path = sqlite_file(conn)
    tables = {getattr(c, "table", None) for c in columns}
    if path is None or len(tables) != 1 or not all(isinstance(c, sa.Column) for c in columns):
        return None
    (table,) = tables
    least = MIN_ROWS if min_rows is None else min_rows
    if not isinstance(table, sa.Table) or _table_rows(conn, table) < least:
        return None
    statement = query.with_only_columns(*(c.label(n) for c, n in zip(columns, schema, strict=True)))
    try:
        sql = str(statement.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    except (sa.exc.CompileError, NotImplementedError):
        return None
    done = subprocess.run(
        [sys.executable, "-m", __name__, path],
        input=sql.encode(),
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        return None
    frame = pl.read_ipc_stream(io.BytesIO(done.stdout))
    if frame.columns != list(schema) or any(
        frame.schema[name] != pl.Null() and frame.schema[name] not in _READS_AS.get(dtype, ())
        for name, dtype in schema.items()
    ):
        return None
    return frame.cast(schema)  # type: ignore[arg-type]


def main() -> None:
    """The child: read the SQL on stdin from the file named first, write Arrow to stdout.
    Exit status 1 (and the reason on stderr) when ConnectorX cannot."""
    try:
        import connectorx
    except ImportError as error:
        sys.exit(f"connectorx: {error}")
    path, sql = sys.argv[1], sys.stdin.read()
    try:
        frame = connectorx.read_sql(f"sqlite://{quote(path)}", sql, return_type="polars")
    except RuntimeError as error:  # a value its column's declared type does not hold
        sys.exit(f"connectorx: {error}")
    assert isinstance(frame, pl.DataFrame)
    frame.write_ipc_stream(sys.stdout.buffer)


if __name__ == "__main__":
    main()
