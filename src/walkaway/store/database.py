"""Opening a store: the engine, migrations up to date, and a tidy close."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

if TYPE_CHECKING:  # Alembic loads only when the schema must change (see open_store)
    from alembic.config import Config

from walkaway.errors import InputError, StoreError

DEFAULT_URL = "sqlite:///walkaway.db"
MIGRATIONS = Path(__file__).with_name("migrations")


def normalise_url(url: str) -> str:
    """Accept a bare path for SQLite and the short PostgreSQL scheme."""
    if "://" not in url:
        return f"sqlite:///{url}"
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def head_revision() -> str:
    """The newest migration. Migrations form one straight line numbered 0001, 0002, ...
    (tests/store checks this against Alembic's own view), so the newest file names it."""
    names = sorted(p.name for p in (MIGRATIONS / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))
    return names[-1][:4]


def stored_revision(engine: Engine) -> str | None:
    """The schema version the database is at; None for a new (or non-Walkaway) database."""
    try:
        with engine.connect() as conn:
            value = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    except sa.exc.DBAPIError:
        return None
    return None if value is None else str(value)


def _alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


# How long a command waits for another's SQLite write lock (an import holds it for the
# whole import) before it gives up with one line.
BUSY_SECONDS = 30.0
BUSY = (
    "the database is busy: another command (an import?) has been writing to it for over "
    "{seconds:g} s; nothing was written, try again when it is done"
)


@dataclass
class Store:
    """A database holding one team's pipeline, decisions, policies and models.

    ``copy_dir`` is where the columnar copy of a store other than a SQLite file goes
    (:mod:`walkaway.store.columnar`); None: it keeps none, and is read directly.
    """

    engine: Engine
    busy_seconds: float = BUSY_SECONDS  # see open_store
    copy_dir: Path | None = None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """One transaction: everything inside lands, or nothing does. Raises StoreError
        when SQLite stayed locked by another writer longer than the store waits, and
        InputError for a value the database cannot hold."""
        with _database_errors_as_ours(self.busy_seconds), self.engine.begin() as conn:
            yield conn

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        with _database_errors_as_ours(self.busy_seconds), self.engine.connect() as conn:
            yield conn

    def upgrade(self) -> None:
        """Bring the schema to the newest migration."""
        from alembic import command

        command.upgrade(_alembic_config(self.engine), "head")

    def is_current(self) -> bool:
        from alembic.runtime.migration import MigrationContext
        from alembic.script import ScriptDirectory

        head = ScriptDirectory.from_config(_alembic_config(self.engine)).get_current_head()
        with self.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision() == head

    def close(self) -> None:
        self.engine.dispose()


@contextmanager
def _database_errors_as_ours(seconds: float) -> Iterator[None]:
    """A busy SQLite store is a StoreError; a value the database cannot hold (PostgreSQL
    text with a NUL character, a number out of its range) an InputError; both one line,
    and the transaction they happened in is rolled back."""
    try:
        yield
    except sa.exc.DataError as error:
        reason = str(error.orig).strip().splitlines()[0]
        raise InputError(f"the database refused a value ({reason}); nothing was written") from error
    except sa.exc.OperationalError as error:
        if "database is locked" in str(error.orig) or "database is busy" in str(error.orig):
            raise StoreError(BUSY.format(seconds=seconds)) from error
        raise


def _on_sqlite_connect(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # A bulk import of a million activities touches ~150 MB of table and index pages:
    # a page cache of up to 256 MB (filled only as pages are used) keeps them from
    # spilling to the WAL mid-transaction; temporary sorts stay in memory.
    cursor.execute("PRAGMA cache_size=-262144")
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.close()


def open_store(
    url: str = DEFAULT_URL,
    *,
    migrate: bool = True,
    busy_seconds: float = BUSY_SECONDS,
    copy_dir: Path | None = None,
) -> Store:
    """Open (and, by default, create or upgrade) the store at ``url``; on SQLite a write
    waits up to ``busy_seconds`` for another's write lock (then: StoreError). A store
    other than a SQLite file keeps its columnar copy under ``copy_dir`` (the settings'
    :attr:`walkaway.settings.Settings.copy_dir`), or none."""
    url = normalise_url(url)
    sqlite = url.startswith("sqlite")
    try:
        engine = sa.create_engine(url, connect_args={"timeout": busy_seconds} if sqlite else {})
    except (sa.exc.ArgumentError, ImportError) as error:
        raise StoreError(f"cannot open database {url!r}: {error}") from error
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _on_sqlite_connect)
    store = Store(engine, busy_seconds, copy_dir)
    # Alembic (and its migration scripts) load only when the schema is behind.
    if migrate and stored_revision(engine) != head_revision():
        try:
            store.upgrade()
        except sa.exc.DBAPIError as error:  # unreachable, or a schema in the way
            engine.dispose()
            raise StoreError(
                f"cannot open database {engine.url.render_as_string(hide_password=True)}: "
                f"{error.orig}; check the URL (--db or WALKAWAY_DB) and that the server runs"
            ) from error
    return store
