"""Fixtures for the web app: the bundled sample in a store (SQLite and PostgreSQL, copied
from a template built once per session), an API client, and team-mode users."""

from __future__ import annotations

import os
import shutil
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from walkaway.sample import SAMPLE_AS_OF
from walkaway.service import build_demo, import_files, sample_files
from walkaway.service.users import add_user, issue_token
from walkaway.settings import copy_dir_from
from walkaway.store import open_store
from walkaway.web.app import create_app
from walkaway.web.settings import WebSettings

with warnings.catch_warnings():
    # Starlette asks for httpx2 on import; httpx is what the project installs.
    warnings.filterwarnings("ignore", message=".*httpx2.*")
    from fastapi.testclient import TestClient

AS_OF = SAMPLE_AS_OF.isoformat()
PASSWORD = "correct horse battery"
SCRIPT_NAME = "<script>alert(1)</script>"
BASE_URL = "http://127.0.0.1"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "demo.db"
    store, _ = build_demo(str(path))
    store.close()
    return path


@pytest.fixture(scope="session")
def postgres_template(postgres_server: str) -> Iterator[str]:
    """A PostgreSQL database holding the sample, copied by CREATE DATABASE ... TEMPLATE."""
    name = f"walkaway_web_tpl_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    store = open_store(postgres_server.rsplit("/", 1)[0] + "/" + name)
    import_files(store, *sample_files(), format="generic")
    store.close()
    try:
        yield name
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _postgres_copy(server: str, template: str) -> Iterator[str]:
    name = f"walkaway_web_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    try:
        yield server.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def demo_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh store holding the bundled sample, on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "demo.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    server = request.getfixturevalue("postgres_server")
    yield from _postgres_copy(server, request.getfixturevalue("postgres_template"))


def web_settings(url: str, **changes: object) -> WebSettings:
    values: dict[str, object] = {
        "db_url": url,
        "copy_dir": copy_dir_from(os.environ),  # the test's own folder (tests/conftest.py)
        "as_of": SAMPLE_AS_OF,
        "cache_check_seconds": 0.0,
        "secret_key": "test-secret",
    }
    values.update(changes)
    return WebSettings(**values)  # type: ignore[arg-type]


def make_client(settings: WebSettings) -> TestClient:
    # Team mode marks the session cookie Secure: such a client speaks HTTPS.
    base = "https://127.0.0.1" if settings.secure_cookies else BASE_URL
    return TestClient(create_app(settings), base_url=base)


@pytest.fixture
def client(demo_url: str) -> Iterator[TestClient]:
    """The API and pages without team mode (everyone is the local manager)."""
    with make_client(web_settings(demo_url)) as test_client:
        yield test_client


@dataclass(frozen=True)
class Team:
    """Team mode on the sample: a manager, and two reps who own sample deals."""

    url: str
    manager_token: str
    anna_token: str  # rep, owner "Anna Keller"
    lukas_token: str  # rep, owner "Lukas Brandt"

    def client(self) -> TestClient:
        return make_client(web_settings(self.url, auth=True))


@pytest.fixture
def team(demo_url: str) -> Team:
    store = open_store(demo_url)
    add_user(store, "mia", "manager", PASSWORD)
    add_user(store, "anna", "rep", PASSWORD, rep_name="Anna Keller")
    add_user(store, "lukas", "rep", PASSWORD, rep_name="Lukas Brandt")
    tokens = [issue_token(store, name) for name in ("mia", "anna", "lukas")]
    store.close()
    return Team(demo_url, *tokens)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def deal_of(client: TestClient, owner: str, call: str | None = None) -> str:
    """The id of an open deal of ``owner`` (with the call ``call``) as of the sample's today."""
    deals = client.get("/api/review", params={"as_of": AS_OF}).json()["deals"]
    for deal in deals:
        if deal["owner"] == owner and (call is None or deal["recommendation"] == call):
            return str(deal["deal_id"])
    raise AssertionError(f"no open deal of {owner} ({call})")


def csrf_of(html: str) -> str:
    """The CSRF token of the first form on a page."""
    marker = 'name="csrf_token" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


def script_deal_csv(folder: Path) -> Path:
    """A generic deals file with one open deal named ``<script>alert(1)</script>``."""
    deals_csv, _ = sample_files()
    lines = deals_csv.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    row = next(line for line in lines[1:] if ",open," in line).split(",")
    row[header.index("deal_id")] = "X-1"
    row[header.index("name")] = SCRIPT_NAME
    row[header.index("account")] = '"<img src=x onerror=alert(2)>"'
    path = folder / "evil.csv"
    path.write_text(lines[0] + "\n" + ",".join(row) + "\n", encoding="utf-8")
    return path
