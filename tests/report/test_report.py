"""The monthly review page on the bundled sample: complete, self-contained, escaped."""

from __future__ import annotations

import re
from dataclasses import replace

import polars as pl
import pytest
from markupsafe import escape

from tests.report.conftest import AS_OF, HOSTILE_AS_OF, SCRIPT
from walkaway.reporting.numbers import money, percent, whole_hours
from walkaway.service.report import Report, build_report, render_report
from walkaway.service.review import Review, review
from walkaway.store import Store
from walkaway.wording import command_spans

EXTERNAL = ("http://", "https://", 'src="/', "<link", "<script", "@import", "url(", "//cdn")


@pytest.fixture
def report(demo_store: Store) -> Report:
    return build_report(demo_store, AS_OF)


@pytest.fixture
def html(report: Report) -> str:
    return render_report(report)


def figure(html: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}">([^<]*)<', html)
    assert found, f"no element with id {element_id!r}"
    return found.group(1)


def test_self_contained(html: str) -> None:
    assert html.startswith("<!doctype html>")
    for needle in EXTERNAL:
        assert needle not in html.lower(), f"{needle!r} points outside the file"
    assert html.count("<svg") == 4  # value by stage, forecast, scatter, forecast by month
    assert "xmlns" not in html


def test_every_open_deal_is_on_the_page(demo_store: Store, html: str) -> None:
    ids = review(demo_store, AS_OF).deals["deal_id"].to_list()
    assert len(ids) == 60
    missing = [deal_id for deal_id in ids if f"{deal_id} · " not in html]
    assert not missing


def test_summary_figures_are_the_reviews(demo_store: Store, report: Report, html: str) -> None:
    summary = review(demo_store, AS_OF).summary
    assert report.summary == summary
    currency = summary["currency"]
    assert figure(html, "open-value") == money(summary["open_value"], currency)
    assert figure(html, "walk-away-value") == money(summary["walk_away_value"], currency)
    assert figure(html, "pollution") == percent(summary["pipeline_pollution"], 1)
    assert figure(html, "forecast") == money(summary["forecast"], currency)
    without = money(summary["forecast_without_walk_aways"], currency)
    assert figure(html, "forecast-without") == without
    freed = summary["hours_freed_by_walking_away"]
    # a total of hours reads as the board and the terminal give it: whole hours
    assert figure(html, "hours-freed") == whole_hours(freed) == f"{freed:,.0f} h"
    for key, anchor in (
        ("walk_away", "walk-away"),
        ("requalify", "requalify"),
        ("pursue", "pursue"),
    ):
        assert figure(html, f"count-{anchor}") == str(summary["by_recommendation"][key])


def test_ranked_walk_away_first_with_reason_and_revisit(report: Report, html: str) -> None:
    sections = [html.index(f'<section id="{s}"') for s in ("walk-away", "requalify", "pursue")]
    assert sections == sorted(sections)
    walk_section = html[sections[0] : sections[1]]
    for row in report.deals.filter(pl.col("recommendation") == "walk_away").iter_rows(named=True):
        assert row["deal_id"] in walk_section
        assert f"{row['revisit_on']:%Y-%m-%d}" in walk_section
    requalify_section = html[sections[1] : sections[2]]
    assert "2026-11-30" in requalify_section  # the re-qualify deadline
    assert '<ul class="questions">' in requalify_section


def test_per_rep_adds_up_to_the_summary(report: Report) -> None:
    reps, summary = report.reps, report.summary
    assert reps.height == 5
    assert reps["open_deals"].sum() == summary["open_deals"]
    assert reps["open_value"].sum() == pytest.approx(summary["open_value"])
    assert reps["walk_away_value"].sum() == pytest.approx(summary["walk_away_value"])
    assert reps["forecast"].sum() == pytest.approx(summary["forecast"], abs=0.01)
    without = summary["forecast_without_walk_aways"]
    assert reps["forecast_without_walk_aways"].sum() == pytest.approx(without, abs=0.01)
    assert reps["hours_freed"].sum() == pytest.approx(summary["hours_freed_by_walking_away"], 0.01)
    assert reps["walk_away_value"].to_list() == sorted(reps["walk_away_value"], reverse=True)


def test_stalled_deals_sat_past_the_limit_or_won_deals(report: Report) -> None:
    stalled = report.stalled
    assert stalled.height == 9
    assert (stalled["days_in_stage"] > stalled["stall_threshold_days"]).all()
    threshold = pl.min_horizontal("stage_limit_days", "stage_norm_p90")
    assert stalled.select((pl.col("stall_threshold_days") == threshold).all()).item()
    assert report.stages["stalled_deals"].sum() == stalled.height
    assert report.stages["stage"].to_list() == [
        "Qualification",
        "Discovery",
        "Demo",
        "Proposal",
        "Negotiation",
    ]


def test_holding_on_is_high_confidence_low_probability(report: Report, demo_store: Store) -> None:
    held = report.holding_on
    calls = review(demo_store, AS_OF).deals
    holding = (pl.col("rep_confidence") >= report.gut.high) & (
        pl.col("win_probability") < report.gut.low_probability
    )
    assert held.height == calls.filter(holding).height > 0
    assert (held["rep_confidence"] >= report.gut.high).all()
    assert (held["win_probability"] < report.gut.low_probability).all()
    assert report.reps["holding_on"].sum() == held.height


def test_red_flags_count_deals(report: Report) -> None:
    flags = report.red_flags
    assert 0 < flags.height <= 10
    assert flags["deals"].to_list() == sorted(flags["deals"], reverse=True)
    top = flags.row(0, named=True)
    carrying = report.deals.filter(
        pl.col("flags").list.eval(pl.element().struct.field("code") == top["code"]).list.any()
    )
    assert top["deals"] == carrying.height
    assert top["title"] and top["question"]


def test_one_rep(demo_store: Store) -> None:
    report = build_report(demo_store, AS_OF, owner="jonas berg")
    assert set(report.deals["owner"]) == {"Jonas Berg"}
    assert report.reps["owner"].to_list() == ["Jonas Berg"]
    assert "Rep: jonas berg" in render_report(report)


def test_user_text_is_escaped(hostile_store: Store) -> None:
    report = build_report(hostile_store, HOSTILE_AS_OF)
    assert report.summary["open_deals"] == 3
    html = render_report(report)
    assert SCRIPT not in html
    assert "<script" not in html and "<b>Mallory" not in html and "<i>Pilot" not in html
    assert "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;Mallory&lt;/b&gt;" in html
    assert "Fish &amp; Chips" in html
    # the unknown stage is a bar label in the chart, escaped by the SVG writer
    assert "&lt;i&gt;Pilot&lt;/i&gt;" in html


def test_an_empty_pipeline_still_renders(sqlite_store: Store) -> None:
    report = build_report(sqlite_store, AS_OF)
    html = render_report(report)
    assert report.summary["open_deals"] == 0
    assert "No walk-away candidates." in html and "No open deals" in html


def test_what_to_know_is_said_once_at_the_top_and_each_call_has_its_deciding_line(
    report: Report,
) -> None:
    said = ["The policy's defaults decide these calls <15 hours>", "Nothing predicts wins"]
    noted = Review(report.review.as_of, report.deals, {**report.summary, "notes": said})
    html = render_report(replace(report, review=noted))
    notes = html.split('id="review-notes"', 1)[1].split("</div>", 1)[0]
    # a command the note names is set as code, escaped, never with a terminal's backticks
    assert f"Calls by {command_spans(report.summary['model']['said'])}" in notes
    assert "`" not in notes
    for note in said:
        assert str(escape(note)) in notes and html.count(str(escape(note))) == 1
    for deal in report.deals.iter_rows(named=True):
        row = html.split(f'<span class="id">{deal["deal_id"]}', 1)[1].split("</tr>", 1)[0]
        assert str(escape(deal["reasons"][0])) in row, deal["deal_id"]
