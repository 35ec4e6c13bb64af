"""Dashboard pages, rendered on the server and read as a browser without JavaScript would."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from markupsafe import escape

from tests.web.conftest import (
    AS_OF,
    SCRIPT_NAME,
    csrf_of,
    deal_of,
    make_client,
    script_deal_csv,
    web_settings,
)
from walkaway.leadership.check import QUESTIONS
from walkaway.service import import_files
from walkaway.service.readiness import NOT_MOVING
from walkaway.store import open_store
from walkaway.web.pages.deal import TIMELINE_ROWS
from walkaway.wording import command_spans


def test_board_groups_deals_by_call_and_shows_the_pollution(client: Any) -> None:
    page = client.get("/", params={"as_of": AS_OF})
    assert page.status_code == 200
    html = page.text
    summary = client.get("/api/review", params={"as_of": AS_OF}).json()["summary"]
    assert 0 < summary["pipeline_pollution"] < 1  # the sample holds walk-away candidates
    pollution = f"{summary['pipeline_pollution']:.0%}"  # as the API and the CLI say
    assert f'Pipeline pollution</div>\n    <div class="big">{pollution}</div>' in html
    assert "without walk-aways" in html
    assert html.index('class="group walk_away"') < html.index('class="group requalify"')
    assert "Page 1 of 3" in html and 'rel="next"' in html
    later = client.get("/", params={"as_of": AS_OF, "page": 3}).text
    assert 'class="group pursue"' in later and 'class="group walk_away"' not in later


def test_board_says_once_at_its_top_which_model_made_the_calls(client: Any) -> None:
    html = client.get("/", params={"as_of": AS_OF}).text
    summary = client.get("/api/review", params={"as_of": AS_OF}).json()["summary"]
    notes = html.split('id="review-notes"', 1)[1].split("</div>", 1)[0]
    # a command the note names is set as code, never with a terminal's backticks
    assert f"Calls by {command_spans(summary['model']['said'])}" in notes
    assert "`" not in notes
    assert html.count("Calls by") == 1 and html.index("review-notes") < html.index("<tbody>")
    for deal in client.get("/api/review", params={"as_of": AS_OF}).json()["deals"][:10]:
        row = html.split(f'<span class="id">{deal["deal_id"]}', 1)[1].split("</tr>", 1)[0]
        assert str(escape(deal["reasons"][0])) in row


def test_board_filters_by_rep_stage_and_call(client: Any) -> None:
    html = client.get(
        "/", params={"as_of": AS_OF, "owner": "Anna Keller", "call": "requalify"}
    ).text
    rows = re.findall(r'<td class="nowrap">([^<]+)</td>', html)
    assert rows and set(rows) == {"Anna Keller"}
    assert "Walk away</span>" not in html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    staged = client.get("/", params={"as_of": AS_OF, "stage": "Negotiation"}).text
    assert "open deals as of" in staged and "· Negotiation" in staged


def test_deal_page_has_evidence_economics_chart_form_and_message(client: Any) -> None:
    deal_id = deal_of(client, "Claire Dubois", "walk_away")
    html = client.get(f"/deals/{deal_id}", params={"as_of": AS_OF}).text
    assert "Red flags" in html and "Ask:" in html
    assert "Hours already spent" in html and "Expected value per remaining hour" in html
    assert "<svg" in html and "<circle" in html and "walk-line" in html
    assert 'name="decision" value="walk_away"' in html
    assert 'id="message"' in html and "Claire Dubois" in html
    direct = client.get(f"/deals/{deal_id}", params={"as_of": AS_OF, "tone": "direct"}).text
    assert direct.split('id="message"')[1] != html.split('id="message"')[1]


def test_the_deal_pages_timeline_counts_its_activities_in_words(
    client: Any, demo_url: str, tmp_path: Path
) -> None:
    deal_id = "D-2005"  # Meridian Retail Group: 21 activities by the sample's today
    html = client.get(f"/deals/{deal_id}", params={"as_of": AS_OF}).text
    found = client.get(f"/api/deals/{deal_id}", params={"as_of": AS_OF}).json()
    total = len(found["as_of_timeline"])
    assert total > TIMELINE_ROWS, "a deal with more activities than the page lists"
    assert timeline_heading(html) == f"the last {TIMELINE_ROWS} of {total} activities"
    tips = re.findall(r"<title>([^<]*)</title>", html)  # the chart's marks, on hover
    assert any("stage change" in tip for tip in tips)
    assert not [t for t in tips if re.search(r"\b[a-z]+_[a-z]+\b", t)], "codes in tooltips"
    store = open_store(demo_url)  # a deal with no activity says so, not "last 0 of 0"
    try:
        import_files(store, script_deal_csv(tmp_path))
    finally:
        store.close()
    bare = client.get("/deals/X-1", params={"as_of": AS_OF}).text
    assert timeline_heading(bare) == "no activity logged"


def timeline_heading(html: str) -> str:
    heading = re.search(r"<h2>Timeline <span[^>]*>([^<]*)</span>", html)
    assert heading is not None
    return heading.group(1)


def test_an_exit_message_for_a_pursue_deal_is_drafted_with_a_warning(client: Any) -> None:
    deal_id = deal_of(client, "Lukas Brandt", "pursue")
    html = client.get(f"/deals/{deal_id}", params={"as_of": AS_OF}).text
    assert 'id="message-warning"' in html and f"The data says pursue {deal_id}" in html
    walked = deal_of(client, "Claire Dubois", "walk_away")
    other = client.get(f"/deals/{walked}", params={"as_of": AS_OF}).text
    assert 'id="message-warning"' not in other
    api = client.get(f"/api/deals/{deal_id}/message", params={"as_of": AS_OF}).json()
    assert api["message"].startswith("Subject: ") and api["warning"].startswith("The data says")


def test_record_a_walk_away_from_the_deal_page(client: Any) -> None:
    deal_id = deal_of(client, "Jonas Berg", "walk_away")
    page = client.get(f"/deals/{deal_id}", params={"as_of": AS_OF})
    form = {
        "csrf_token": csrf_of(page.text),
        "decision": "walk_away",
        "reason": "No reply in seven weeks",
        "revisit_on": "2027-03-01",
        "by": "Jonas Berg",
        "as_of": AS_OF,
    }
    done = client.post(f"/deals/{deal_id}/decide", data=form)
    assert done.status_code == 200 and "Decision recorded" in done.text
    assert "No reply in seven weeks" in done.text and "2027-03-01" in done.text
    board = client.get("/", params={"as_of": AS_OF}).text
    assert "you: Walk away" in board


def test_a_bad_decision_shows_the_form_again_with_the_reason(client: Any) -> None:
    deal_id = deal_of(client, "Jonas Berg")
    token = csrf_of(client.get(f"/deals/{deal_id}", params={"as_of": AS_OF}).text)
    form = {"csrf_token": token, "decision": "walk_away", "reason": " ", "as_of": AS_OF}
    response = client.post(f"/deals/{deal_id}/decide", data=form)
    assert response.status_code == 422 and "the reason is empty" in response.text
    assert 'id="decision-form"' in response.text


def test_user_supplied_text_is_escaped(client: Any, demo_url: str, tmp_path: Path) -> None:
    store = open_store(demo_url)
    import_files(store, script_deal_csv(tmp_path), format="generic")
    store.close()
    for url in ("/?as_of=2026-11-16&page=1", "/deals/X-1?as_of=2026-11-16"):
        html = client.get(url).text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html or "X-1" not in html
        assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in client.get("/deals/X-1?as_of=2026-11-16").text
    message = client.get("/api/deals/X-1/message", params={"as_of": AS_OF}).json()["message"]
    assert SCRIPT_NAME in message  # JSON carries the text as it is


def test_import_page_lists_problems_and_imports_nothing(client: Any) -> None:
    token = csrf_of(client.get("/import").text)
    bad = b"deal_id,name,owner,stage,amount,created_at,outcome\nN-1,x,A,Demo,lots,2026-01-01,open\n"
    response = client.post(
        "/import", data={"csrf_token": token, "format": "generic"}, files={"deals": ("d.csv", bad)}
    )
    assert response.status_code == 422
    assert "nothing was imported" in response.text and "d.csv: row 2" in response.text


def test_import_page_says_how_dates_read_in_its_own_words(client: Any) -> None:
    """The page's Dates choice is walkaway import's --dayfirst; a refusal names the choice."""
    token = csrf_of(client.get("/import").text)
    ambiguous = (
        b"deal_id,name,owner,stage,amount,created_at,outcome\nP-1,x,A,Demo,10,03/04/2026,open\n"
    )

    def send(**fields: str) -> Any:
        data = {"csrf_token": token, "format": "generic", **fields}
        return client.post("/import", data=data, files={"deals": ("d.csv", ambiguous)})

    refused = send()
    assert refused.status_code == 422
    assert "&#39;Dates: day first&#39;" in refused.text and "--dayfirst" not in refused.text
    assert send(dates="sideways").status_code == 422
    landed = send(dates="day-first")
    assert landed.status_code == 200 and "Imported (generic)" in landed.text
    assert '<option value="day-first" selected>' in landed.text


def test_policy_page_shows_a_bad_policy_with_its_reason(client: Any) -> None:
    page = client.get("/policy")
    assert "[economics]" in page.text
    response = client.post(
        "/policy", data={"csrf_token": csrf_of(page.text), "toml": "bogus = 1\n"}
    )
    assert response.status_code == 422 and "bogus" in response.text
    saved = client.post("/policy", data={"csrf_token": csrf_of(page.text), "toml": "\n"})
    assert saved.status_code == 200 and "Policy saved" in saved.text


def test_leadership_check_as_a_form(client: Any) -> None:
    page = client.get("/leadership")
    assert all(f'name="{q.id}"' in page.text for q in QUESTIONS)
    answers = {q.id: "5" if q.high_is_warning else "1" for q in QUESTIONS}
    done = client.post(
        "/leadership", data={"csrf_token": csrf_of(page.text), "by": "Dana", **answers}
    )
    assert done.status_code == 200 and "Plan your exit" in done.text
    assert "90-day plan" in done.text
    missing = client.post("/leadership", data={"csrf_token": csrf_of(page.text), "by": "Dana"})
    assert missing.status_code == 422


def test_journal_losses_backtest_and_docs_pages(client: Any) -> None:
    assert "No decisions yet" in client.get("/journal", params={"as_of": AS_OF}).text
    losses = client.get("/losses").text
    lost_id = re.search(r'href="/deals/([^/"]+)/loss-review"', losses)
    assert lost_id
    review = client.get(f"/deals/{lost_id.group(1)}/loss-review")
    assert review.status_code == 200 and "Ask the buyer" in review.text and "<svg" in review.text
    assert "walkaway backtest --out" in client.get("/backtest").text
    assert "/api/review" in client.get("/docs").text


def test_errors_on_pages_are_pages(client: Any) -> None:
    missing = client.get("/deals/NOPE")
    assert missing.status_code == 404 and "<html" in missing.text and "NOPE" in missing.text
    assert client.get("/", params={"as_of": "soon"}).status_code == 422


def test_backtest_page_shows_the_latest_run(demo_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "backtest"
    folder.mkdir()
    pooled = {"wins_sacrificed": 3, "wins_sacrificed_share": 0.1, "precision": 0.9}
    metrics = {
        "cuts": ["2026-05-13T00:00:00", "2026-11-11T00:00:00"],
        "labels": {"model": "Walkaway", "never": "Never walk away"},
        "pooled": {"model": pooled, "never": {"wins_sacrificed": 0}},
    }
    (folder / "metrics.json").write_text(json.dumps(metrics))
    (folder / "calibration.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    with make_client(web_settings(demo_url, backtest_dir=folder)) as client:
        html = client.get("/backtest").text
        assert "Over 2 weekly cuts" in html and "Never walk away" in html and "90%" in html
        assert '/backtest/files/calibration.png"' in html
        assert client.get("/backtest/files/calibration.png").content.startswith(b"\x89PNG")
        assert client.get("/backtest/files/metrics.json").json()["labels"]["model"] == "Walkaway"
        assert client.get("/backtest/files/..%2Fdemo.db").status_code == 404
        assert client.get("/backtest/files/precision_effort.png").status_code == 404


def test_deal_page_readiness_is_no_good_news_beside_a_critical_flag(client: Any) -> None:
    deals = client.get("/api/review", params={"as_of": AS_OF}).json()["deals"]

    def critical(deal: dict[str, Any]) -> list[dict[str, str]]:
        return [f for f in deal["flags"] if f["severity"] == "critical"]

    troubled = next(d for d in deals if d["ready_to_advance"] and critical(d))
    calm = next(
        d
        for d in deals
        if d["ready_to_advance"]
        and not critical(d)
        and d["recommendation"] == "pursue"
        and not {f["code"] for f in d["flags"]} & set(NOT_MOVING)
    )
    html = client.get(f"/deals/{troubled['deal_id']}", params={"as_of": AS_OF}).text
    note = re.search(r'<p class="readiness (\w+)">([^<]*)</p>', html)
    assert note is not None
    assert note.group(1) == "caution" and "Ready to advance" not in html
    evidence = str(escape(critical(troubled)[0]["evidence"]))
    assert note.group(2).startswith(f"Exit criteria met, but do not advance on them: {evidence}")
    html = client.get(f"/deals/{calm['deal_id']}", params={"as_of": AS_OF}).text
    assert (
        '<p class="readiness ready">Ready to advance: the buyer has done what this stage asks.</p>'
        in html
    )
    # D-2001 at 2027-03-01: criteria met long ago, silent for 107 days: no good news
    later = client.get("/deals/D-2001", params={"as_of": "2027-03-01"}).text
    assert "Ready to advance" not in later
    assert '<p class="readiness caution">Exit criteria met, but the deal is not moving: ' in later


def test_import_page_refuses_a_value_past_its_limit(client: Any) -> None:
    token = csrf_of(client.get("/import").text)
    bad = b"deal_id,name,owner,stage,amount,created_at,outcome\nN-1,x,A,Demo,inf,2026-01-01,open\n"
    response = client.post(
        "/import", data={"csrf_token": token, "format": "generic"}, files={"deals": ("d.csv", bad)}
    )
    assert response.status_code == 422
    assert (
        "d.csv: row 2, column &#39;amount&#39;: &#39;inf&#39; is not a number 0–1,000,000,000,000"
        in response.text
    )
