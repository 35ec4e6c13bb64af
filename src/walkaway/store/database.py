"""Opening a store: the engine, migrations up to date, and a tidy close."""

from __future__ import annotations

import difflib
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from walkaway import lazy

if TYPE_CHECKING:  # Alembic loads only when the schema must change (see open_store)
    from alembic.config import Config

from walkaway.errors import InputError, NoStore, StoreError

if TYPE_CHECKING:
    from alembic import command as alembic_command
    from alembic import config as alembic_config
    from alembic import script
    from alembic.runtime import migration
else:
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


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL; None for an in-memory one or another database."""
    url = normalise_url(url)
    if not url.startswith("sqlite"):
        return None
    try:
        name = sa.engine.make_url(url).database
    except sa.exc.ArgumentError:
        return None
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


def _revision_or_refuse(store: Store) -> str | None:
    """The schema version of a database that must be reachable; None when it holds no
    Walkaway store."""
    try:
        with store.engine.connect() as conn:
            if not sa.inspect(conn).has_table("alembic_version"):
                return None
            value = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    except sa.exc.OperationalError as error:
        ours = _operational_error(store, error)
        raise (_unreachable(store, error) if ours is error else ours) from error
    except sa.exc.DBAPIError as error:
        raise _unreachable(store, error) from error
    return None if value is None else str(value)


def _first_line(error: sa.exc.DBAPIError) -> str:
    return (str(error.orig).strip().splitlines() or ["unknown error"])[0]


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

    ``copy_dir`` is where the columnar copy of a store other than a SQLite file goes
    (:mod:`walkaway.store.columnar`); None: it keeps none, and is read directly.
    """

    engine: Engine
    busy_seconds: float = BUSY_SECONDS  # see open_store
    copy_dir: Path | None = None

    @property
    def shown(self) -> str:
        """The store as a person named it: the SQLite file, or the URL without password."""
        url = self.engine.url
        if self.dialect == "sqlite" and url.database:
            return url.database
        return url.render_as_string(hide_password=True)

    @property
    def folder(self) -> Path:
        """The folder a SQLite file is in; the current folder for any other store."""
        path = sqlite_path(str(self.engine.url))
        return Path(".") if path is None else path.parent

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """One transaction: everything inside lands, or nothing does. Raises StoreError
        when SQLite stayed locked by another writer longer than the store waits, and
        InputError for a value the database cannot hold."""
        with _database_errors_as_ours(self), self.engine.begin() as conn:
            yield conn

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        with _database_errors_as_ours(self), self.engine.connect() as conn:
            yield conn

    def upgrade(self) -> None:
        """Bring the schema to the newest migration."""
        alembic_command.upgrade(_alembic_config(self.engine), "head")

    def is_current(self) -> bool:
        head = script.ScriptDirectory.from_config(_alembic_config(self.engine)).get_current_head()
        with self.engine.connect() as conn:
            return migration.MigrationContext.configure(conn).get_current_revision() == head

    def close(self) -> None:
        self.engine.dispose()


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


def _operational_error(store: Store, error: sa.exc.OperationalError) -> Exception:
    said = str(error.orig).lower()
    if "database is locked" in said or "database is busy" in said:
        return StoreError(BUSY.format(seconds=store.busy_seconds))
    for words, line in DISK_PROBLEMS.items():
        if words in said:
            return StoreError(line.format(where=store.shown))
    return error


def _unreachable(store: Store, error: sa.exc.DBAPIError) -> StoreError:
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
    sqlite = url.startswith("sqlite")
    path = sqlite_path(url)
    if not create and path is not None:
        _refuse_missing_file(path)
    try:
        engine = sa.create_engine(url, connect_args={"timeout": busy_seconds} if sqlite else {})
    except (sa.exc.ArgumentError, ImportError) as error:
        raise StoreError(f"cannot open database {url!r}: {error}") from error
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _on_sqlite_connect)
    store = Store(engine, busy_seconds, copy_dir)
    if not create and _revision_or_refuse(store) is None:
        engine.dispose()
        raise NoStore(MISSING.format(where=store.shown) + " (it holds no Walkaway tables)")
    # Alembic (and its migration scripts) load only when the schema is behind.
    if migrate and stored_revision(engine) != head_revision():
        try:
            store.upgrade()
        except sa.exc.OperationalError as error:
            engine.dispose()
            ours = _operational_error(store, error)
            raise (_unreachable(store, error) if ours is error else ours) from error
        except sa.exc.DBAPIError as error:  # a schema in the way
            engine.dispose()
            raise _unreachable(store, error) from error
    return store


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
