"""What a manager sees, in a real headless Chromium: the board, a deal page and the
report on a US-dollar export and on the fictional Maven sample.

Each page is read as text and checked for what a manager trusts at first sight: the
data's own currency symbol (and never another's), flags and calls in words (no
snake_case codes), the line that decided each call under it. Screenshots go to
``$WALKAWAY_SCREENSHOTS`` when it is set (to look at them), else to the test's folder.
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.web.test_e2e import CHROMIUM, LAUNCH_ARGS, _free_port, _need_chromium, _wait_until_up
from walkaway.service import import_files, sample_files
from walkaway.store import open_store

USD_AS_OF = "2026-11-16"
MAVEN_AS_OF = "2018-01-01"  # the day after the sample's last date
# A snake_case word as a page would show a code: two or more lowercase parts.
CODE = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")


def usd_export(folder: Path) -> Path:
    """The bundled sample as a US export writes it: no currency column, amounts in
    dollars ("$44,000")."""
    deals, _activities = sample_files()
    with deals.open(encoding="utf-8", newline="") as source:
        rows = list(csv.DictReader(source))
    target = folder / "us-deals.csv"
    names = [n for n in rows[0] if n != "currency"]
    with target.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, names, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({**row, "amount": f"${float(row['amount']):,.0f}"})
    return target


@contextmanager
def _serve(db: Path, as_of: str, log: Path) -> Iterator[str]:
    port = _free_port()
    command = [sys.executable, "-m", "walkaway", "serve", "--db", str(db), "--port", str(port)]
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*command, "--as-of", as_of], stdout=output, stderr=subprocess.STDOUT
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, process, log)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture
def usd_store(tmp_path: Path) -> Path:
    _need_chromium()
    db = tmp_path / "usd.db"
    store = open_store(str(db))
    import_files(store, usd_export(tmp_path), sample_files()[1])
    store.close()
    return db


@pytest.fixture
def maven_store(tmp_path: Path, shared_data: Path) -> Path:
    _need_chromium()
    pipeline = shared_data / "maven-crm" / "sales_pipeline.csv"
    if not pipeline.is_file():
        pytest.skip(f"{pipeline} is absent")
    db = tmp_path / "maven.db"
    store = open_store(str(db))
    import_files(store, pipeline)
    store.close()
    return db


def _shots() -> Path | None:
    named = os.environ.get("WALKAWAY_SCREENSHOTS")
    return Path(named) if named else None


def _report(db: Path, as_of: str, folder: Path) -> Path:
    out = folder / "review.html"
    command = [sys.executable, "-m", "walkaway", "report", "--db", str(db), "--as-of", as_of]
    subprocess.run([*command, "--out", str(out)], check=True, capture_output=True)
    return out


def _assert_a_manager_reads_it(text: str, symbol: str, other: str, where: str) -> None:
    assert symbol in text, f"{where}: no {symbol} amount"
    assert other not in text, f"{where}: an amount in {other}"
    codes = sorted(set(CODE.findall(text)) - {"walkaway_train"})
    assert not codes, f"{where}: codes on the page: {codes[:5]}"
    for raw in ("None", " ? "):
        assert raw not in text, f"{where}: {raw!r} for a missing value"
    assert not re.search(r"\bnan\b", text), f"{where}: 'nan' for a missing value"  # not finance


def _look(base: str, db: Path, as_of: str, folder: Path, name: str) -> dict[str, Any]:
    """Board, the first deal's page and the report in Chromium, screenshot each, and
    return their visible text with the review the API gives."""
    from playwright.sync_api import sync_playwright

    review = httpx.get(f"{base}/api/review", params={"as_of": as_of}, timeout=120).json()
    first = review["deals"][0]
    shots = _shots() or folder
    shots.mkdir(parents=True, exist_ok=True)
    report = _report(db, as_of, folder)
    seen: dict[str, Any] = {"review": review, "first": first}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            for key, url in (
                ("board", f"{base}/?as_of={as_of}"),
                ("deal", f"{base}/deals/{first['deal_id']}?as_of={as_of}"),
                ("report", report.as_uri()),
            ):
                page.goto(url, timeout=180_000)
                page.screenshot(path=str(shots / f"{name}-{key}.png"), full_page=key != "report")
                seen[key] = page.locator("body").inner_text()
        finally:
            browser.close()
    return seen


def _check(seen: dict[str, Any], symbol: str, other: str) -> None:
    first = seen["first"]
    deciding = first["reasons"][0]
    for key in ("board", "deal", "report"):
        _assert_a_manager_reads_it(seen[key], symbol, other, key)
        assert deciding in seen[key], f"{key}: the deciding line of {first['deal_id']}"
    assert seen["review"]["summary"]["currency"] == {"$": "USD", "€": "EUR"}[symbol]


def test_a_us_dollar_export_reads_in_dollars_with_its_deciding_lines(
    usd_store: Path, tmp_path: Path
) -> None:
    with _serve(usd_store, USD_AS_OF, tmp_path / "serve.log") as base:
        seen = _look(base, usd_store, USD_AS_OF, tmp_path, "usd")
    _check(seen, "$", "€")


def test_the_maven_sample_reads_in_dollars_with_what_to_know_once(
    maven_store: Path, tmp_path: Path
) -> None:
    with _serve(maven_store, MAVEN_AS_OF, tmp_path / "serve.log") as base:
        seen = _look(base, maven_store, MAVEN_AS_OF, tmp_path, "maven")
    _check(seen, "$", "€")
    for note in seen["review"]["summary"]["notes"]:
        shown = note.replace("`", "")  # a command it names is set as code on a page
        assert seen["board"].count(shown) == 1 and seen["report"].count(shown) == 1
    assert "`" not in seen["board"] and "`" not in seen["report"]
    # its stages (Prospecting, Engaging) have no exit criteria in the policy: none met
    assert "Exit criteria met" not in seen["deal"] and "Ready to advance" not in seen["deal"]
    assert seen["first"]["ready_to_advance"] is None
    assert "no activity logged" in seen["deal"]  # the export has no activity log
