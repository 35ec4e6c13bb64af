"""The bundled sample as a store, built once for the report tests, and a tiny hostile import."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from tests.csvfiles import deals_csv
from walkaway.models import as_utc_naive
from walkaway.sample import SAMPLE_AS_OF
from walkaway.service import build_demo, import_files
from walkaway.store import Store, open_store

AS_OF: datetime = as_utc_naive(SAMPLE_AS_OF)
HOSTILE_AS_OF = datetime(2026, 3, 1)
SCRIPT = "<script>alert(1)</script>"


@pytest.fixture(scope="package")
def demo_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "demo.db"
    store, _summary = build_demo(str(path))
    store.close()
    return path


@pytest.fixture
def demo_store(demo_path: Path) -> Iterator[Store]:
    store = open_store(f"sqlite:///{demo_path}")
    yield store
    store.close()


@pytest.fixture
def hostile_store(tmp_path: Path) -> Iterator[Store]:
    """Open deals whose names, accounts, reps and stages are markup."""
    rows = [
        f'H1,{SCRIPT},"<img src=x onerror=alert(2)>",<b>Mallory</b>,<i>Pilot</i>,5000,'
        "2026-01-10,,open",
        'H2,"Fish & Chips ""Ltd""",Fish & Chips,<b>Mallory</b>,Proposal,12000,2026-01-20,,open',
        "H3,Plain deal,Plain Co,Eve,Demo,800000,2026-02-01,,open",
    ]
    store = open_store(f"sqlite:///{tmp_path / 'hostile.db'}")
    import_files(store, deals_csv(tmp_path, rows), format="generic")
    yield store
    store.close()
