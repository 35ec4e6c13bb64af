"""Backing up and restoring a store with the commands docs/security.md gives: the
restored store holds every row of every table, and Walkaway reviews it as before."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import IN_CI, fresh_postgres_database
from tests.store_digest import table_digests
from walkaway.service import build_demo, import_files, sample_files
from walkaway.store import open_store


def _review(url: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "walkaway", "review", "--as-of", "2026-11-16", "--format",
         "csv", "--db", url],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return done.stdout


def test_a_sqlite_store_backed_up_while_open_restores_whole(tmp_path: Path) -> None:
    live = tmp_path / "walkaway.db"
    store, _ = build_demo(str(live))  # still open: the backup is taken beside it
    backup = tmp_path / "backup.db"
    # docs/security.md: sqlite3's online backup, from Python (no other tool needed) ...
    with sqlite3.connect(live) as source, sqlite3.connect(backup) as target:
        source.backup(target)
    store.close()
    restored = tmp_path / "restored" / "walkaway.db"
    restored.parent.mkdir()
    shutil.copy(backup, restored)
    assert table_digests(f"sqlite:///{restored}") == table_digests(f"sqlite:///{live}")
    assert _review(f"sqlite:///{restored}") == _review(f"sqlite:///{live}")
    # ... or the sqlite3 command's .backup, where it is installed
    if shutil.which("sqlite3"):
        second = tmp_path / "second.db"
        subprocess.run(["sqlite3", str(live), f".backup '{second}'"], check=True)
        assert table_digests(f"sqlite:///{second}") == table_digests(f"sqlite:///{live}")


@pytest.mark.postgres
def test_a_postgresql_store_dumped_and_restored_is_whole(
    postgres_url: str, postgres_server: str, tmp_path: Path
) -> None:
    if not shutil.which("pg_dump") or not shutil.which("pg_restore"):
        message = "pg_dump and pg_restore (postgresql-client) are needed"
        pytest.fail(message) if IN_CI else pytest.skip(message)
    store = open_store(postgres_url)
    import_files(store, *sample_files(), format="generic")
    store.close()
    dump = tmp_path / "walkaway.dump"
    name = postgres_url.rsplit("/", 1)[1]
    server = ["-h", "127.0.0.1", "-p", "5432", "-U", "postgres"]
    subprocess.run(["pg_dump", *server, "-Fc", "-d", name, "-f", str(dump)], check=True)
    with fresh_postgres_database(postgres_server) as restored:
        target = restored.rsplit("/", 1)[1]
        subprocess.run(["pg_restore", *server, "--no-owner", "-d", target, str(dump)], check=True)
        assert table_digests(restored) == table_digests(postgres_url)
        assert _review(restored) == _review(postgres_url)
