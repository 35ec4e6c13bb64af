"""Values past what a sales team could have are refused before anything lands.

NaN, infinity, 1e20 hours, 2^63 custom requests, a deal created in 9999: each would
break the sums and sentences of every later review once stored (an Int64 cast of the
hours overflowed in the reason sentences; a date past 9999 in the norms' day after).
Each is one line naming the row, the column and the limit; every table stays as it was.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import ROOT
from tests.csvfiles import write
from tests.store_digest import table_digests
from walkaway.cli import app
from walkaway.importers.validate import (
    BEFORE,
    EARLIEST,
    MAX_ACTIVITY_HOURS,
    MAX_AMOUNT,
    MAX_COUNT,
    MAX_DEAL_HOURS,
)
from walkaway.models import SHORT_TEXT
from walkaway.service import import_files
from walkaway.store import open_store
from walkaway.wording import CONTROL_CHARACTERS, printable

DEALS = "deal_id,name,owner,stage,amount,created_at,closed_at,outcome,hours_invested,"
DEALS += "custom_requests,missing_features,rep_confidence,expected_close"
GOOD_DEAL = {
    "deal_id": "B-1",
    "name": "Acme rollout",
    "owner": "Ana",
    "stage": "Proposal",
    "amount": "12000",
    "created_at": "2026-01-05",
    "closed_at": "",
    "outcome": "open",
    "hours_invested": "12",
    "custom_requests": "1",
    "missing_features": "0",
    "rep_confidence": "3",
    "expected_close": "2026-06-30",
}
ACTIVITIES = "deal_id,at,kind,hours"
GOOD_ACTIVITY = {"deal_id": "B-1", "at": "2026-01-06T10:00:00", "kind": "call", "hours": "1.5"}


def _files(folder: Path, deal: dict[str, str], activity: dict[str, str]) -> tuple[Path, Path]:
    deals = write(folder / "deals.csv", [DEALS, ",".join(deal.values())])
    acts = write(folder / "activities.csv", [ACTIVITIES, ",".join(activity.values())])
    return deals, acts


def _team_store(url: str, folder: Path) -> None:
    """A store that already holds a deal and its activity."""
    team = folder / "team"
    team.mkdir()
    store = open_store(url)
    import_files(
        store, *_files(team, {**GOOD_DEAL, "deal_id": "T-1"}, GOOD_ACTIVITY | {"deal_id": "T-1"})
    )
    store.close()


LIMIT_OF = {
    "amount": f"0–{MAX_AMOUNT:,}",
    "hours_invested": f"0–{MAX_DEAL_HOURS:,}",
    "custom_requests": f"0–{MAX_COUNT:,}",
    "missing_features": f"0–{MAX_COUNT:,}",
    "rep_confidence": "1–5",
    "created_at": f"between {EARLIEST:%Y-%m-%d} and {BEFORE.year - 1}-12-31",
    "closed_at": f"between {EARLIEST:%Y-%m-%d} and {BEFORE.year - 1}-12-31",
    "expected_close": f"between {EARLIEST:%Y-%m-%d} and {BEFORE.year - 1}-12-31",
    "hours": f"0–{MAX_ACTIVITY_HOURS:,}",
    "at": f"between {EARLIEST:%Y-%m-%d} and {BEFORE.year - 1}-12-31",
}
HOSTILE = [
    ("deals", "amount", "NaN"),
    ("deals", "amount", "inf"),
    ("deals", "amount", "-inf"),
    ("deals", "amount", "1e20"),
    ("deals", "amount", f"{MAX_AMOUNT + 1}"),
    ("deals", "hours_invested", "nan"),
    ("deals", "hours_invested", "1e20"),
    ("deals", "hours_invested", "Infinity"),
    ("deals", "custom_requests", "1e20"),
    ("deals", "custom_requests", "inf"),
    ("deals", "custom_requests", str(2**63)),
    ("deals", "missing_features", "1e19"),
    ("deals", "missing_features", f"{MAX_COUNT + 1}"),
    ("deals", "rep_confidence", str(2**63)),
    ("deals", "rep_confidence", "NaN"),
    ("deals", "created_at", "9999-12-31"),
    ("deals", "created_at", "0001-01-01"),
    ("deals", "created_at", "1979-12-31"),
    ("deals", "expected_close", "2101-01-01"),
    ("deals", "closed_at", "9999-12-31T23:59:59"),
    ("activities", "hours", "1e20"),
    ("activities", "hours", "NaN"),
    ("activities", "hours", "inf"),
    ("activities", "hours", f"{MAX_ACTIVITY_HOURS + 0.5}"),
    ("activities", "at", "9999-12-31T00:00:00"),
    ("activities", "at", "1900-01-01T00:00:00"),
]


@pytest.mark.parametrize(("table", "column", "value"), HOSTILE)
def test_a_value_past_its_limit_is_one_line_naming_row_column_and_limit(
    tmp_path: Path, table: str, column: str, value: str
) -> None:
    url = f"sqlite:///{tmp_path / 'team.db'}"
    _team_store(url, tmp_path)
    deal, activity = dict(GOOD_DEAL), dict(GOOD_ACTIVITY)
    if column == "closed_at":
        deal["outcome"] = "lost"
    (deal if table == "deals" else activity)[column] = value
    deals, acts = _files(tmp_path, deal, activity)
    before = table_digests(url)
    # A deal refused takes its activities with it (a line each): the deal alone here.
    with_acts = ["--activities", str(acts)] if table == "activities" else []
    done = CliRunner().invoke(app, ["import", str(deals), *with_acts, "--db", url])
    assert done.exit_code == 2, done.output
    assert done.exception is None or isinstance(done.exception, SystemExit)
    first, summary = done.stderr.strip().splitlines()
    assert first.startswith(f"error: {table}.csv: row 2, column '{column}': {value!r} is not ")
    assert LIMIT_OF[column] in first
    assert summary.startswith("error: 1 problem(s) found; nothing was imported")
    assert table_digests(url) == before


def test_values_at_the_limits_land_and_the_review_reads_them(
    store_url: str, tmp_path: Path
) -> None:
    deal = {
        **GOOD_DEAL,
        "amount": str(MAX_AMOUNT),
        "hours_invested": str(MAX_DEAL_HOURS),
        "custom_requests": str(MAX_COUNT),
        "missing_features": str(MAX_COUNT),
        "rep_confidence": "5",
        "created_at": f"{EARLIEST:%Y-%m-%d}",
        "expected_close": f"{BEFORE.year - 1}-12-31",
    }
    activity = {**GOOD_ACTIVITY, "hours": str(MAX_ACTIVITY_HOURS)}
    deals, acts = _files(tmp_path, deal, activity)
    runner = CliRunner()
    done = runner.invoke(app, ["import", str(deals), "--activities", str(acts), "--db", store_url])
    assert done.exit_code == 0, done.output
    review = runner.invoke(app, ["review", "--db", store_url, "--as-of", "2026-03-01"])
    assert review.exit_code == 0, review.output
    assert "B-1" in review.stdout
    shown = runner.invoke(app, ["show", "B-1", "--db", store_url, "--as-of", "2026-03-01"])
    assert shown.exit_code == 0, shown.output


def test_with_skip_invalid_the_row_past_a_limit_is_set_aside_with_its_reason(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'team.db'}"
    good = ",".join(GOOD_DEAL.values())
    bad = ",".join({**GOOD_DEAL, "deal_id": "B-2", "hours_invested": "1e20"}.values())
    deals = write(tmp_path / "deals.csv", [DEALS, good, bad])
    rejects = tmp_path / "rejects.csv"
    done = CliRunner().invoke(
        app, ["import", str(deals), "--db", url, "--skip-invalid", "--rejects", str(rejects)]
    )
    assert done.exit_code == 0, done.output
    text = rejects.read_text(encoding="utf-8")
    assert "B-2" in text and "column 'hours_invested'" in text and "B-1" not in text


def test_docs_format_names_every_limit_the_import_checks() -> None:
    page = (ROOT / "docs" / "format.md").read_text(encoding="utf-8")
    limits = page[page.index("## Limits") : page.index("## Bad input")]
    for limit in {*LIMIT_OF.values(), f"at most {SHORT_TEXT} characters"}:
        assert limit in limits, limit


@pytest.mark.parametrize("hostile", ["\x1b[2J\x1b]0;pwned\x07", "\x9b6n", "a\x08b", "\u202eevil"])
def test_control_characters_in_a_file_are_shown_escaped_in_every_error_line(
    tmp_path: Path, hostile: str
) -> None:
    url = f"sqlite:///{tmp_path / 'team.db'}"
    deals = write(
        tmp_path / "deals.csv",
        [f"deal_id,amount,created_at,{hostile}", f"B-1,{hostile},2026-01-05,x"],
    )
    for options in (["--format", "generic"], ["--format", "hubspot"], []):
        done = CliRunner().invoke(app, ["import", str(deals), "--db", url, *options])
        assert done.exit_code == 2, done.output
        assert done.stderr.startswith("error: ")
        assert not any(c in done.stderr for c in CONTROL_CHARACTERS if c != "\n")
        assert printable(hostile) in done.stderr or repr(hostile)[1:-1] in done.stderr


def test_a_stored_value_past_a_limit_never_fails_a_review(tmp_path: Path, copy_dir: Path) -> None:
    """A store written before the import checked its limits may hold 1e20 hours: the
    review, show and the API's review still answer (a strict cast once made every
    review print a 20 kB Polars error and the API answer 500): the review skips each
    deal holding one and says why, ``show`` refuses that deal in one line."""
    import sqlalchemy as sa

    from tests.web.conftest import make_client, web_settings
    from walkaway.store.schema import activities, deals

    url = f"sqlite:///{tmp_path / 'team.db'}"
    _team_store(url, tmp_path)
    store = open_store(url)
    with store.begin() as conn:
        conn.execute(sa.update(activities).values(hours=1e20))
        conn.execute(sa.update(deals).values(hours_invested=1e20, amount=1e300))
    store.close()
    # The columnar copy is rebuilt from the store, as after an upgrade.
    for copy in (copy_dir, tmp_path / "team.db.columnar"):
        shutil.rmtree(copy, ignore_errors=True)
    runner = CliRunner()
    for command in (["review"], ["review", "--format", "json"]):
        done = runner.invoke(app, [*command, "--db", url, "--as-of", "2026-03-01"])
        assert done.exit_code == 0, done.output
        assert done.exception is None
        assert "T-1 skipped: amount 1e300 beyond the 1,000,000,000,000 limit" in done.stderr
    shown = runner.invoke(app, ["show", "T-1", "--db", url, "--as-of", "2026-03-01"])
    assert shown.exit_code == 2 and len(shown.stderr.strip().splitlines()) == 1
    assert "'T-1' is not assessed: amount 1e300 beyond" in shown.stderr
    with make_client(web_settings(url, as_of=None)) as client:
        answer = client.get("/api/review", params={"as_of": "2026-03-01"})
        assert answer.status_code == 200, answer.text[:300]
        assert "T-1" in {s["deal_id"] for s in answer.json()["summary"]["skipped"]}
        assert client.get("/api/deals/T-1", params={"as_of": "2026-03-01"}).status_code == 422
