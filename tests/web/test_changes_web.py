"""What changed since an earlier review on the web: GET /api/changes (its schema in
OpenAPI), the board's "changed since" tab, a rep's own changes in team mode, and the
page in a real headless Chromium."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tests.web.conftest import AS_OF, Team, bearer
from tests.web.test_e2e import CHROMIUM, LAUNCH_ARGS, server  # noqa: F401  (the fixture)
from walkaway.service.changes import changes, changes_json
from walkaway.store import open_store

WEEK_BEFORE = (datetime.fromisoformat(AS_OF) - timedelta(days=7)).date().isoformat()


def test_api_changes_is_what_the_command_line_says(client: Any, demo_url: str) -> None:
    answer = client.get("/api/changes", params={"as_of": AS_OF, "since": "7d"})
    assert answer.status_code == 200, answer.text
    data = answer.json()
    store = open_store(demo_url)
    expected = changes_json(changes(store, datetime.fromisoformat(AS_OF), "7d"))
    store.close()
    assert data["since"] == f"{WEEK_BEFORE}T00:00:00+00:00" and data["since_from"] == "given"
    assert [(c["deal_id"], c["kind"], c["because"]) for c in data["changes"]] == [
        (c["deal_id"], c["kind"], c["because"]) for c in expected["changes"]
    ]
    assert data["summary"]["by_kind"] == expected["summary"]["by_kind"]
    assert data["changes"], "the sample's last week holds changes"


def test_api_changes_defaults_to_a_week_and_refuses_a_bad_since(client: Any) -> None:
    default = client.get("/api/changes", params={"as_of": AS_OF}).json()
    assert (default["since"][:10], default["since_from"]) == (WEEK_BEFORE, "a week")
    bad = client.get("/api/changes", params={"as_of": AS_OF, "since": "lately"})
    assert bad.status_code == 422
    assert bad.json()["detail"].startswith("query.since")  # the schema's pattern says it
    later = client.get("/api/changes", params={"as_of": AS_OF, "since": "2027-01-01"})
    assert later.status_code == 409 and "is not before" in later.json()["detail"]


def test_the_changes_schema_is_in_openapi(client: Any) -> None:
    spec = client.get("/openapi.json").json()
    answer = spec["paths"]["/api/changes"]["get"]["responses"]["200"]
    assert answer["content"]["application/json"]["schema"]["$ref"].endswith("/ChangesOut")
    change = spec["components"]["schemas"]["ChangeOut"]
    assert {"kind", "call_before", "call_now", "p_before", "p_now", "because"} <= set(
        change["properties"]
    )
    params = {p["name"] for p in spec["paths"]["/api/changes"]["get"]["parameters"]}
    assert {"since", "as_of", "owner"} <= params


def test_a_rep_sees_only_their_own_changes(team: Team) -> None:
    params = {"as_of": AS_OF, "since": "7d"}
    with team.client() as client:
        mine = client.get("/api/changes", params=params, headers=bearer(team.anna_token))
        assert mine.status_code == 200
        assert {c["owner"] for c in mine.json()["changes"]} == {"Anna Keller"}
        everyone = client.get("/api/changes", params=params, headers=bearer(team.manager_token))
        assert len({c["owner"] for c in everyone.json()["changes"]}) > 1
        lukas = {**params, "owner": "Lukas Brandt"}
        other = client.get("/api/changes", params=lukas, headers=bearer(team.anna_token))
        assert other.status_code == 403


def test_the_changed_since_tab(client: Any) -> None:
    page = client.get("/changes", params={"as_of": AS_OF, "since": WEEK_BEFORE})
    assert page.status_code == 200
    html = page.text
    assert f"What changed since {WEEK_BEFORE}" in html
    assert f'<input type="date" name="since" value="{WEEK_BEFORE}">' in html
    assert "Crossed the walk-away line" in html and "New deals" in html
    assert html.index("Crossed the walk-away line <span") < html.index("New deals <span")
    assert 'href="/changes"' in client.get("/", params={"as_of": AS_OF}).text


def test_the_changed_since_tab_in_chromium(server: str) -> None:  # noqa: F811
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            page = browser.new_page()
            page.goto(f"{server}/?as_of={AS_OF}")
            page.locator('header nav a[href="/changes"]').click()
            page.wait_for_url("**/changes**")
            page.fill('input[name="since"]', "2026-11-02")
            page.fill('input[name="as_of"]', "2026-11-16")
            page.locator("form.filters button[type=submit]").click()
            page.wait_for_url("**since=2026-11-02**")
            assert page.locator("h1").inner_text() == "What changed since 2026-11-02"
            sections = page.locator("section.changes h2").all_inner_texts()
            assert sections and sections[0].startswith("Crossed the walk-away line")
        finally:
            browser.close()


def test_the_board_charts_the_forecast_by_month(client: Any) -> None:
    html = client.get("/", params={"as_of": AS_OF}).text
    card = html[html.index('id="forecast-by-month"') :]
    assert "Expected won value by month of expected close" in card
    assert "<svg" in card and "2026-12" in card


def test_the_what_wins_here_page(client: Any) -> None:
    page = client.get("/insights", params={"as_of": AS_OF})
    assert page.status_code == 200
    html = page.text
    assert "<h1>What wins here</h1>" in html and "the whole team" in html
    assert "lead source: " in html and "lead_source" not in html
    assert "Stage funnel of the closed deals" in html and "confirmed</strong>" in html
    assert 'href="/insights"' in client.get("/", params={"as_of": AS_OF}).text
    empty = client.get("/insights", params={"as_of": "2020-01-01"}).text
    assert "No deal closed before 2020-01-01" in empty
