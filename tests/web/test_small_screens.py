"""The pages a manager opens, in a real headless Chromium 390 px wide (a phone): none
scrolls sideways (a wide table scrolls inside its own box, the menu wraps), and none
writes a number of four digits or more without its thousands separators.

The store is the bundled sample with a thousand more open deals (one rep, one stage,
created in the last week) and a thousand more closed ones, so that the counts on every
page (open deals, per rep, per stage, new since last week, closed deals, lost deals) pass
a thousand. Screenshots go to ``$WALKAWAY_SCREENSHOTS`` when it is set, else to the
test's folder.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.csvfiles import deals_csv
from tests.web.conftest import AS_OF
from tests.web.test_e2e import CHROMIUM, LAUNCH_ARGS, _need_chromium
from tests.web.test_screens import _serve, _shots
from walkaway.service import import_files
from walkaway.service.journal import record_decision
from walkaway.store import open_store

WIDTH = 390
EXTRA = 1_100
CLOSED_DEAL = "D-1001"  # lost in the sample, long before its as-of date
# What may hold four digits in a row: dates and times, months and quarters, deal ids,
# a date written out ("16 November 2026"), the version.
ALLOWED = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2})?)?"
    r"|\d{4}-(?:\d{2}|Q[1-4])\b"
    r"|\b[A-Z]+-\d+\b"
    r"|\b\d{1,2} (?:January|February|March|April|May|June|July|August|September|October"
    r"|November|December) \d{4}\b"
    r"|\b\d+\.\d+\.\d+\b"
)
BARE = re.compile(r"(?<![\d,.])\d{4,}")


def _word(number: int) -> str:
    """A number in letters (names must not bring digits of their own to the pages)."""
    return "".join("abcdefghij"[int(digit)] for digit in str(number))


def _rows(as_of: datetime) -> list[str]:
    """A thousand-odd open deals new this week (one rep, one stage) and as many closed."""
    rows = []
    for i in range(EXTRA):
        w = _word(i)
        created = as_of - timedelta(days=1 + i % 6, hours=i % 9)
        rows.append(
            f"N-{i},Wide deal {w},Acme {w},Sam Berg,Discovery,{1_000 + i * 10},"
            f"{created:%Y-%m-%dT%H:%M},,open"
        )
        made, shut = as_of - timedelta(days=300 + i % 90), as_of - timedelta(days=20 + i % 200)
        outcome = "won" if i % 3 == 0 else "lost"
        rows.append(
            f"C-{i},Old deal {w},Acme {w},Sam Berg,Proposal,{5_000 + i},"
            f"{made:%Y-%m-%dT%H:%M},{shut:%Y-%m-%dT%H:%M},{outcome}"
        )
    return rows


@pytest.fixture(scope="module")
def big_store(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    _need_chromium()
    folder = tmp_path_factory.mktemp("small-screens")
    db = folder / "big.db"
    shutil.copy(sqlite_template, db)
    as_of = datetime.fromisoformat(AS_OF)
    store = open_store(str(db))
    import_files(store, deals_csv(folder, _rows(as_of)), format="generic")
    record_decision(store, "D-2030", "requalify", "Ask for the budget holder",
                    as_of=as_of - timedelta(days=3), decided_by="Anna Keller")  # fmt: skip
    store.close()
    return db


def _report(db: Path, folder: Path) -> Path:
    out = folder / "review.html"
    command = [sys.executable, "-m", "walkaway", "report", "--db", str(db), "--as-of", AS_OF]
    subprocess.run([*command, "--out", str(out)], check=True, capture_output=True)
    return out


@pytest.fixture(scope="module")
def seen(big_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Each page at 390 px: its width as scrolled and its visible text."""
    from playwright.sync_api import sync_playwright

    folder = tmp_path_factory.mktemp("phone")
    shots = _shots() or folder
    shots.mkdir(parents=True, exist_ok=True)
    pages: dict[str, Any] = {}
    with _serve(big_store, AS_OF, folder / "serve.log") as base:
        urls = {
            "board": f"{base}/?as_of={AS_OF}",
            "deal": f"{base}/deals/D-2030?as_of={AS_OF}",
            "closed deal": f"{base}/deals/{CLOSED_DEAL}?as_of={AS_OF}",
            "changes": f"{base}/changes?as_of={AS_OF}",
            "insights": f"{base}/insights?as_of={AS_OF}",
            "journal": f"{base}/journal?as_of={AS_OF}",
            "losses": f"{base}/losses",
            "report": _report(big_store, folder).as_uri(),
        }
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
            try:
                page = browser.new_page(viewport={"width": WIDTH, "height": 844})
                for name, url in urls.items():
                    page.goto(url, timeout=180_000)
                    page.screenshot(path=str(shots / f"phone-{name.replace(' ', '-')}.png"))
                    pages[name] = {
                        "width": page.evaluate("document.scrollingElement.scrollWidth"),
                        "text": page.locator("body").inner_text(),
                    }
            finally:
                browser.close()
    yield pages


def test_no_page_scrolls_sideways_at_390_px(seen: dict[str, Any]) -> None:
    wide = {name: p["width"] for name, p in seen.items() if p["width"] > WIDTH}
    assert not wide, f"wider than {WIDTH} px: {wide}"


def test_every_number_of_four_digits_has_its_separators(seen: dict[str, Any]) -> None:
    bare = {
        name: sorted(set(BARE.findall(ALLOWED.sub(" ", page["text"]))))[:8]
        for name, page in seen.items()
    }
    assert not any(bare.values()), {name: found for name, found in bare.items() if found}


def test_the_pages_hold_counts_past_a_thousand(seen: dict[str, Any]) -> None:
    """The scan above proves something only if the pages have such numbers to write."""
    thousands = re.compile(r"\b\d{1,3}(?:,\d{3})+\b")
    for name in ("board", "changes", "insights", "losses", "report"):
        assert thousands.search(seen[name]["text"]), f"{name}: no number past a thousand"
