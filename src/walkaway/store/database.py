"""Opening a store: the engine, migrations up to date, and a tidy close."""

from __future__ import annotations

import difflib
import re
import shutil
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from walkaway import lazy
from walkaway.errors import InputError, NoStore, StoreError
from walkaway.store.driver import Rows, engine_rows, sqlite_rows

if TYPE_CHECKING:
    # SQLAlchemy loads when a command first needs the engine (Store.engine); Alembic
    # only when the schema must change (see open_store).
    import sqlalchemy as sa
    from alembic import command as alembic_command
    from alembic import config as alembic_config
    from alembic import script
    from alembic.config import Config
    from alembic.runtime import migration
    from sqlalchemy.engine import Connection, Engine
else:
    sa = lazy.module("sqlalchemy")
    alembic_config = lazy.module("alembic.config")
    alembic_command = lazy.module("alembic.command")
    migration = lazy.module("alembic.runtime.migration")
    script = lazy.module("alembic.script")

DEFAULT_URL = "sqlite:///walkaway.db"
MIGRATIONS = Path(__file__).with_name("migrations")


def normalise_url(url: str) -> str:
    """Accept a bare path for SQLite and the short PostgreSQL scheme."""
    if "://" not in url:
        return f"sqlite:///{url}"
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


# A SQLite URL naming its file as it is (SQLAlchemy reads %XX escapes and options after
# '?'): its database is read here, any other by SQLAlchemy.
_PLAIN_SQLITE = re.compile(r"sqlite(?:\+pysqlite)?:///([^?%]*)")


def _sqlite_database(url: str) -> str | None:
    """The database part of a normalised SQLite ``url`` (a path, ``:memory:``...)."""
    plain = _PLAIN_SQLITE.fullmatch(url)
    if plain is not None:
        return plain.group(1) or None
    try:
        return sa.engine.make_url(url).database
    except sa.exc.ArgumentError:
        return None


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL; None for an in-memory one or another database."""
    url = normalise_url(url)
    if not url.startswith("sqlite"):
        return None
    name = _sqlite_database(url)
    if not name or name == ":memory:" or name.startswith("file:"):
        return None
    return Path(name)


MISSING = "no Walkaway store at {where}: import a file first, or `walkaway demo`"


def _refuse_missing_file(path: Path) -> None:
    """A SQLite store that is not there (or an empty file) is refused before SQLite
    would create it: a mistyped ``--db`` leaves nothing behind."""
    if path.is_file() and path.stat().st_size > 0:
        return
    raise NoStore(MISSING.format(where=path) + _near_name(path))


def _near_name(path: Path) -> str:
    """`` (did you mean X?)`` for a store file beside ``path`` with a close name."""
    try:
        names = [p.name for p in path.parent.iterdir() if p.suffix == path.suffix]
    except OSError:
        return ""
    close = difflib.get_close_matches(path.name, names, n=1, cutoff=0.6)
    return f" (did you mean {path.with_name(close[0])}?)" if close else ""


# Whether a table is there, on each database the store runs on.
_TABLE_EXISTS = {
    "sqlite": "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
    "postgresql": "SELECT 1 WHERE to_regclass(?) IS NOT NULL",
}


def stored_revision(store: Store) -> str | None:
    """The schema version the database is at; None for a new (or non-Walkaway) database.
    A database that cannot be reached is a StoreError, in one line."""
    try:
        with store.rows() as rows:
            if not rows(_TABLE_EXISTS[store.dialect], ("alembic_version",)):
                return None
            found = rows("SELECT version_num FROM alembic_version")
    except sqlite3.Error as error:
        raise _unreachable(store, error) from error
    except sa.exc.DBAPIError as error:  # (SQLAlchemy is loaded when this one is raised)
        raise _unreachable(store, error) from error
    return None if not found or found[0][0] is None else str(found[0][0])


def _first_line(error: Exception) -> str:
    said = str(getattr(error, "orig", None) or error)
    return (said.strip().splitlines() or ["unknown error"])[0]


def head_revision() -> str:
    """The newest migration. Migrations form one straight line numbered 0001, 0002, ...
    (tests/store checks this against Alembic's own view), so the newest file names it."""
    names = sorted(p.name for p in (MIGRATIONS / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))
    return names[-1][:4]


def _alembic_config(engine: Engine) -> Config:
    config = alembic_config.Config()
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

    ``url`` is normalised (:func:`normalise_url`). ``copy_dir`` is where the columnar
    copy of a store other than a SQLite file goes (:mod:`walkaway.store.columnar`);
    None: it keeps none, and is read directly.
    """

    url: str
    busy_seconds: float = BUSY_SECONDS  # see open_store
    copy_dir: Path | None = None
    _engine: Engine | None = field(default=None, init=False, repr=False, compare=False)
    _making: threading.Lock = field(
        default_factory=threading.Lock, init=False, repr=False, compare=False
    )

    @property
    def engine(self) -> Engine:
        """SQLAlchemy's engine, made (and SQLAlchemy imported) on first use: a command
        that reads a few rows of a SQLite file (:meth:`rows`) never needs it. One per
        store, however many threads (the web app's) ask for it first at once."""
        if self._engine is None:
            with self._making:
                if self._engine is None:
                    self._engine = _engine_for(self.url, self.busy_seconds)
        return self._engine

    @property
    def shown(self) -> str:
        """The store as a person named it: the SQLite file, or the URL without password."""
        if self.dialect == "sqlite":
            database = _sqlite_database(self.url)
            if database:
                return database
        return self.engine.url.render_as_string(hide_password=True)

    @property
    def folder(self) -> Path:
        """The folder a SQLite file is in; the current folder for any other store."""
        path = sqlite_path(self.url)
        return Path(".") if path is None else path.parent

    @property
    def dialect(self) -> str:
        return "sqlite" if self.url.startswith("sqlite") else self.engine.dialect.name

    @contextmanager
    def begin(self, *, keys_checked: bool = False) -> Iterator[Connection]:
        """One transaction: everything inside lands, or nothing does. Raises StoreError
        when SQLite stayed locked by another writer longer than the store waits, and
        InputError for a value the database cannot hold.

        ``keys_checked``: the caller checks, inside the transaction, that every row it
        writes refers to a stored deal (:func:`walkaway.store.writing.check_deals_stored`,
        once per deal), so SQLite need not look each row's deal up (a bulk import: 0.15 s
        of a million activities). Its foreign keys are on again once it ends."""
        if not keys_checked or self.dialect != "sqlite":
            with _database_errors_as_ours(self), self.engine.begin() as conn:
                yield conn
            return
        with _database_errors_as_ours(self), self.engine.connect() as conn:
            raw = conn.connection.driver_connection
            assert raw is not None
            # outside a transaction, where SQLite takes it (inside, it does nothing)
            raw.execute("PRAGMA foreign_keys=OFF")  # type: ignore[attr-defined]
            try:
                with conn.begin():
                    yield conn
            finally:
                try:
                    raw.execute("PRAGMA foreign_keys=ON")  # type: ignore[attr-defined]
                except sqlite3.Error:
                    conn.invalidate()  # never back to the pool without its keys

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        with _database_errors_as_ours(self), self.engine.connect() as conn:
            yield conn

    @contextmanager
    def rows(self) -> Iterator[Rows]:
        """Reads of a few rows through the database driver, without SQLAlchemy on a
        SQLite file: ``rows(sql, params)`` runs SQL text with ``?`` for each parameter
        (the same text on every database) and returns the driver's tuples. A datetime
        parameter is bound as the store keeps it; on SQLite dates and datetimes come
        back as that text. Errors as :meth:`connect` has them."""
        path = sqlite_path(self.url)
        if path is None:
            with self.connect() as conn:
                yield engine_rows(conn)
            return
        with _sqlite_errors_as_ours(self):
            driver = sqlite3.connect(path, timeout=self.busy_seconds)
            try:
                yield sqlite_rows(driver)
            finally:
                driver.close()

    def upgrade(self) -> None:
        """Bring the schema to the newest migration."""
        alembic_command.upgrade(_alembic_config(self.engine), "head")

    def is_current(self) -> bool:
        head = script.ScriptDirectory.from_config(_alembic_config(self.engine)).get_current_head()
        with self.engine.connect() as conn:
            return migration.MigrationContext.configure(conn).get_current_revision() == head

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()


# What SQLite says when the disk, not the data, is the problem, and the line we say.
DISK_PROBLEMS = {
    "readonly database": "the database {where} is read-only (the file or its folder "
    "cannot be written); nothing was written: check its permissions, or use --db to name "
    "a copy you can write",
    "disk is full": "the disk holding the database {where} is full; nothing was written: "
    "free some space and try again",
    "disk i/o error": "the disk holding the database {where} failed to read or write "
    "(disk I/O error); nothing was written",
    "unable to open database file": "cannot open the database file {where} (is its "
    "folder there and writable?); nothing was written",
}


@contextmanager
def _database_errors_as_ours(store: Store) -> Iterator[None]:
    """A busy, read-only or full SQLite store is a StoreError; a value the database
    cannot hold (PostgreSQL text with a NUL character, a number out of its range) an
    InputError; each one line, and the transaction they happened in is rolled back."""
    try:
        yield
    except sa.exc.DataError as error:
        raise InputError(
            f"the database refused a value ({_first_line(error)}); nothing was written"
        ) from error
    except sa.exc.OperationalError as error:
        ours = _operational_error(store, error)
        if ours is error:
            raise
        raise ours from error


@contextmanager
def _sqlite_errors_as_ours(store: Store) -> Iterator[None]:
    """:func:`_database_errors_as_ours` for the sqlite3 driver's own errors."""
    try:
        yield
    except sqlite3.OperationalError as error:
        ours = _operational_error(store, error)
        if ours is error:
            raise
        raise ours from error


def _operational_error(store: Store, error: Exception) -> Exception:
    said = str(getattr(error, "orig", None) or error).lower()
    if "database is locked" in said or "database is busy" in said:
        return StoreError(BUSY.format(seconds=store.busy_seconds))
    for words, line in DISK_PROBLEMS.items():
        if words in said:
            return StoreError(line.format(where=store.shown))
    return error


def _unreachable(store: Store, error: Exception) -> StoreError:
    return StoreError(
        f"cannot open database {store.shown}: {_first_line(error)}; check the URL (--db "
        "or WALKAWAY_DB) and that the server runs"
    )


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
    create: bool = True,
    busy_seconds: float = BUSY_SECONDS,
    copy_dir: Path | None = None,
) -> Store:
    """Open (and, by default, create or upgrade) the store at ``url``; on SQLite a write
    waits up to ``busy_seconds`` for another's write lock (then: StoreError). A store
    other than a SQLite file keeps its columnar copy under ``copy_dir`` (the settings'
    :attr:`walkaway.settings.Settings.copy_dir`), or none. Not ``create``: a store that
    is not there is refused (:class:`NoStore`) and nothing is created."""
    url = normalise_url(url)
    path = sqlite_path(url)
    if not create and path is not None:
        _refuse_missing_file(path)
    store = Store(url, busy_seconds, copy_dir)
    revision = _revision_or_close(store)
    if not create and revision is None:
        store.close()
        raise NoStore(MISSING.format(where=store.shown) + " (it holds no Walkaway tables)")
    # Alembic (and its migration scripts) load only when the schema is behind.
    if migrate and revision != head_revision():
        try:
            store.upgrade()
        except sa.exc.OperationalError as error:
            store.close()
            ours = _operational_error(store, error)
            raise (_unreachable(store, error) if ours is error else ours) from error
        except sa.exc.DBAPIError as error:  # a schema in the way
            store.close()
            raise _unreachable(store, error) from error
    return store


def _engine_for(url: str, busy_seconds: float) -> Engine:
    sqlite = url.startswith("sqlite")
    try:
        engine = sa.create_engine(url, connect_args={"timeout": busy_seconds} if sqlite else {})
    except (sa.exc.ArgumentError, ImportError) as error:
        raise StoreError(f"cannot open database {url!r}: {error}") from error
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _on_sqlite_connect)
    return engine


def _revision_or_close(store: Store) -> str | None:
    try:
        return stored_revision(store)
    except StoreError:
        store.close()
        raise


@contextmanager
def opened_to_fill(url: str, *, copy_dir: Path | None = None) -> Iterator[Store]:
    """The store at ``url``, created when it is not there; a SQLite file created here is
    removed again (with its columnar copy) when what fills it fails, so a first import
    that is refused leaves nothing behind."""
    path = sqlite_path(url)
    new = path is not None and not path.exists()
    store: Store | None = None
    try:
        store = open_store(url, copy_dir=copy_dir)
        yield store
    except BaseException:
        if store is not None:
            store.close()
        if new and path is not None:
            remove_sqlite_file(path)
        raise
    finally:
        if store is not None:
            store.close()


def remove_sqlite_file(path: Path) -> None:
    """A SQLite store file, its journal files and its columnar copy, gone."""
    for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
        leftover.unlink(missing_ok=True)
    shutil.rmtree(path.with_name(path.name + ".columnar"), ignore_errors=True)
