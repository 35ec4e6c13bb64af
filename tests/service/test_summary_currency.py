"""A review's summary never adds two currencies: each has its own figures, the largest
open pipeline's are the headline, and the CLI, the report and the board say so."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from tests.csvfiles import write
from walkaway.cli import app
from walkaway.service.review import summarise

CALLS = ["walk_away", "pursue", "requalify", "pursue", "walk_away"]
AMOUNTS = [1000.0, 3000.0, 500.0, 200.0, 100.0]
CURRENCIES = ["USD", "USD", "USD", "EUR", "EUR"]
P = [0.1, 0.5, 0.3, 0.9, 0.2]


def _frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "recommendation": CALLS,
            "amount": AMOUNTS,
            "currency": CURRENCIES,
            "win_probability": P,
            "hours_needed": [10.0] * 5,
        }
    )


def _expected(code: str) -> dict[str, float]:
    rows = [r for r in zip(CALLS, AMOUNTS, CURRENCIES, P, strict=True) if r[2] == code]
    walk = [r for r in rows if r[0] == "walk_away"]
    return {
        "open_deals": len(rows),
        "open_value": sum(r[1] for r in rows),
        "walk_away_value": sum(r[1] for r in walk),
        "forecast": round(sum(r[1] * r[3] for r in rows), 2),
    }


def test_each_currency_has_its_own_figures_and_the_largest_is_the_headline() -> None:
    summary = summarise(_frame(), "GBP")
    figures = {c["currency"]: c for c in summary["by_currency"]}
    assert [c["currency"] for c in summary["by_currency"]] == ["USD", "EUR"]
    for code in ("USD", "EUR"):
        assert {k: figures[code][k] for k in _expected(code)} == _expected(code)
    assert summary["currency"] == "USD" and summary["open_value"] == _expected("USD")["open_value"]
    assert summary["open_deals"] == 5 and summary["by_recommendation"]["walk_away"] == 2


def test_no_open_deal_is_in_the_policys_currency() -> None:
    summary = summarise(_frame().clear(), "GBP")
    assert (summary["currency"], summary["open_value"], summary["by_currency"]) == ("GBP", 0, [])


def test_the_cli_and_the_report_write_each_currency_apart(tmp_path: Path) -> None:
    rows = [
        'A1,Demo,"$3,000",2026-01-05',
        'A2,Demo,"€1,000",2026-01-05',
        "A3,Demo,USD 50,2026-01-06",
    ]
    path = write(tmp_path / "deals.csv", ["deal_id,stage,amount,created_at", *rows])
    db = str(tmp_path / "w.db")
    runner = CliRunner()
    assert runner.invoke(app, ["import", str(path), "--db", db]).exit_code == 0
    shown = runner.invoke(app, ["review", "--db", db, "--as-of", "2026-02-01"])
    assert shown.exit_code == 0, shown.output
    text = " ".join(shown.output.split())
    assert "In USD (2 deals): open pipeline $3,050" in text
    assert "In EUR (1 deal): open pipeline €1,000" in text
    assert "3 open deals:" in text and "EUR 4,050" not in text and "$4,050" not in text
    out = tmp_path / "review.html"
    wrote = runner.invoke(app, ["report", "--db", db, "--as-of", "2026-02-01", "--out", str(out)])
    assert wrote.exit_code == 0, wrote.output
    html = out.read_text()
    assert 'id="open-value">$3,050<' in html and "1 deal in EUR, €1,000 open" in html
