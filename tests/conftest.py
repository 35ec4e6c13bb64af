"""Shared fixtures: a fresh store on SQLite and on PostgreSQL, a CLI runner, paths, the
bundled sample as one pipeline."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import settings
from typer.testing import CliRunner

from walkaway.models import Pipeline
from walkaway.service import import_files, sample_files
from walkaway.service.reading import load_pipeline
from walkaway.store import Store, open_store

# Under CI=true a skip is a failure (tests/no_skip_in_ci.py).
pytest_plugins = ["tests.no_skip_in_ci"]

# Timing belongs in benchmarks/: no Hypothesis example fails for being slow on a busy
# machine (its default deadline is 200 ms an example).
settings.register_profile("walkaway", deadline=None)
settings.load_profile("walkaway")

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SHARED_DATA = SHARED / "data"
PG_ADMIN_URL = os.environ.get(
    "WALKAWAY_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _postgres_reachable() -> str | None:
    try:
        engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
        engine.dispose()
        return None
    except Exception as error:  # any failure to connect means: no server here
        return str(error).splitlines()[0]


@pytest.fixture(autouse=True)
def copy_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where the columnar copies of stores other than SQLite files go: a folder of the
    test's own, not the user's cache (walkaway.store.columnar). The stores below are
    opened with it; the command line and ``walkaway serve`` find it in the environment
    (walkaway.settings.copy_dir_from)."""
    folder = tmp_path_factory.mktemp("copies")
    monkeypatch.setenv("WALKAWAY_COPY_DIR", str(folder))
    return folder


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The admin URL of a reachable PostgreSQL; in CI its absence is a failure."""
    problem = _postgres_reachable()
    if problem:
        if IN_CI:
            pytest.fail(f"PostgreSQL is required under CI=true but unreachable: {problem}")
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL}: {problem}")
    yield PG_ADMIN_URL


@contextmanager
def fresh_postgres_database(server: str) -> Iterator[str]:
    """The URL of a brand-new, empty PostgreSQL database, dropped afterwards."""
    name = f"walkaway_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A brand-new, empty PostgreSQL database for one test, dropped afterwards."""
    with fresh_postgres_database(postgres_server) as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a fresh store, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'walkaway.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def store(store_url: str, copy_dir: Path) -> Iterator[Store]:
    opened = open_store(store_url, copy_dir=copy_dir)
    yield opened
    opened.close()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(f"sqlite:///{tmp_path / 'walkaway.db'}")
    yield opened
    opened.close()


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def shared_data() -> Path:
    """../shared/data, or skip where it is absent (it is present in CI)."""
    if not SHARED_DATA.is_dir():
        if IN_CI:
            pytest.fail(f"{SHARED_DATA} is required under CI=true")
        pytest.skip(f"{SHARED_DATA} is not beside the project")
    return SHARED_DATA


@pytest.fixture(scope="session")
def sample_pipeline() -> Pipeline:
    """The bundled sample, every deal and activity, as one pipeline (built once: the
    replay, walk-away date and norms tests compare two paths over it)."""
    store = open_store("sqlite://")
    import_files(store, *sample_files(), format="generic")
    pipeline = load_pipeline(store, datetime(2100, 1, 1), columnar=False)
    store.close()
    return pipeline
