"""The report's "changed since" section: what `walkaway review --since` lists, in the page."""

from __future__ import annotations

from pathlib import Path

import pytest
from markupsafe import escape
from typer.testing import CliRunner

from tests.report.conftest import AS_OF, SCRIPT
from walkaway.cli import app
from walkaway.service.changes import changes
from walkaway.service.report import build_report, render_report
from walkaway.store import Store


def test_the_section_lists_every_change_most_important_first(demo_store: Store) -> None:
    report = build_report(demo_store, AS_OF, since="7d")
    assert report.changes is not None
    expected = changes(demo_store, AS_OF, "7d").deals
    assert report.changes.deals.equals(expected)
    html = render_report(report)
    section = html[html.index('<section id="changes">') : html.index('<section id="walk-away">')]
    assert "Changed since 2026-11-09" in section
    positions = [section.index(f"{deal_id}</span>") for deal_id in expected["deal_id"]]
    assert positions == sorted(positions), "in the order the review --since gives"
    first = expected.row(0, named=True)
    assert str(escape(" · ".join(first["because"]))) in section
    assert '<a href="#changes">Changed</a>' in html


def test_the_section_escapes_what_the_data_says(hostile_store: Store) -> None:
    html = render_report(build_report(hostile_store, AS_OF, since="2026-01-15"))
    section = html[html.index('<section id="changes">') : html.index('<section id="walk-away">')]
    assert "New deals" in section and SCRIPT not in section
    assert str(escape(SCRIPT)) in section


def test_report_since_on_the_command_line(demo_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "review.html"
    db = str(demo_path)
    args = ["report", "--db", db, "--as-of", AS_OF.isoformat(), "--out", str(out)]
    result = CliRunner().invoke(app, [*args, "--since", "2w"])
    assert result.exit_code == 0, result.output
    assert "Changed since 2026-11-02" in out.read_text(encoding="utf-8")
    bad = CliRunner().invoke(app, [*args, "--since", "someday"])
    assert bad.exit_code == 2
    assert bad.stderr.startswith("error: --since 'someday' is not a span or a date")


def test_the_forecast_by_month_adds_up_and_is_charted(demo_store: Store) -> None:
    report = build_report(demo_store, AS_OF)
    assert report.forecast is not None
    assert report.forecast.total == pytest.approx(report.summary["forecast"], abs=0.01)
    html = render_report(report)
    section = html[
        html.index('<section id="forecast-by-month">') : html.index('<section id="changes">')
    ]
    assert "<svg" in section and "http" not in section.split("<svg", 1)[1].split("</svg>")[0]
    months = report.forecast.rows["period"].to_list()
    assert all(f"<td>{m}</td>" in section for m in months if m != "slipped")
    assert '<a href="#forecast-by-month">By month</a>' in html


def test_what_wins_here_in_the_report(demo_store: Store) -> None:
    report = build_report(demo_store, AS_OF)
    assert report.insights is not None and report.insights.closed > 0
    html = render_report(report)
    section = html[html.index('<section id="insights">') : html.index('<section id="walk-away">')]
    team = report.insights.rates.row(0, named=True)
    assert f"{report.insights.won} won of {report.insights.closed} closed" in section
    assert "the whole team" in section and f"{team['win_rate']:.0%}" in section
    for stage in report.insights.funnel["stage"]:
        assert f"<td>{stage}</td>" in section
    assert '<a href="#insights">What wins</a>' in html
    turns = report.insights.turns
    assert turns.height > 0, "the sample's lost deals turn somewhere"
    first = turns.row(0, named=True)
    said = section[section.index('id="lost-deals-turn"') :]
    said = said[: said.index("</p>")]
    assert f"most often in {first['stage']}: {first['deals']} lost deals" in said
    assert f"the {turns['deals'].sum():,} whose turn was seen ({first['share']:.0%})" in said
