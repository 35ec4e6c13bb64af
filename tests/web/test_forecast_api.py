"""GET /api/forecast: the forecast by month or quarter, the same numbers as `walkaway
forecast --by`, adding up to the review's forecast with and without the walk-away
candidates; a rep gets their own deals."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.web.conftest import AS_OF, Team, bearer
from walkaway.cli import app


@pytest.mark.parametrize("by", ["month", "quarter"])
def test_the_api_says_what_walkaway_forecast_says(
    client: TestClient, demo_url: str, by: str
) -> None:
    answer = client.get("/api/forecast", params={"as_of": AS_OF, "by": by})
    assert answer.status_code == 200, answer.text[:300]
    command = ["forecast", "--by", by, "--as-of", AS_OF, "--format", "json", "--db", demo_url]
    said = CliRunner().invoke(app, command)
    assert said.exit_code == 0, said.output
    assert answer.json() == json.loads(said.stdout)


def _sums(body: dict[str, Any]) -> tuple[float, float]:
    periods = body["periods"]
    return (
        sum(p["expected_won"] for p in periods),
        sum(p["expected_won_without_walk_aways"] for p in periods),
    )


@pytest.mark.parametrize("by", ["month", "quarter"])
def test_the_periods_add_up_to_the_reviews_forecast(client: TestClient, by: str) -> None:
    summary = client.get("/api/review", params={"as_of": AS_OF}).json()["summary"]
    body = client.get("/api/forecast", params={"as_of": AS_OF, "by": by}).json()
    with_all, without = _sums(body)
    assert summary["forecast"] != summary["forecast_without_walk_aways"]  # both are tested
    assert with_all == pytest.approx(summary["forecast"], abs=0.01 * len(body["periods"]))
    assert without == pytest.approx(
        summary["forecast_without_walk_aways"], abs=0.01 * len(body["periods"])
    )
    assert sum(p["deals"] for p in body["periods"]) == summary["open_deals"]
    labels = [p["period"] for p in body["periods"]]
    assert labels == sorted(labels, key=lambda label: (label != "slipped", label))
    pattern = r"\d{4}-\d{2}" if by == "month" else r"\d{4}-Q[1-4]"
    assert all(label == "slipped" or re.fullmatch(pattern, label) for label in labels)


def test_a_bad_period_is_refused(client: TestClient) -> None:
    answer = client.get("/api/forecast", params={"as_of": AS_OF, "by": "week"})
    assert answer.status_code == 422 and "by" in answer.json()["detail"]


def test_the_forecast_schema_is_in_openapi(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    operation = spec["paths"]["/api/forecast"]["get"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema["$ref"].endswith("/ForecastOut")
    fields = set(spec["components"]["schemas"]["ForecastOut"]["required"])
    assert {"total", "total_without_walk_aways", "slipped", "periods"} <= fields
    assert {p["name"] for p in operation["parameters"]} >= {"by", "as_of", "owner"}


def test_team_mode_needs_a_sign_in_and_a_rep_gets_their_own_deals(team: Team) -> None:
    params = {"as_of": AS_OF, "by": "month"}
    with team.client() as client:
        assert client.get("/api/forecast", params=params).status_code == 401
        anna = bearer(team.anna_token)
        mine = client.get("/api/forecast", params=params, headers=anna).json()
        review = client.get("/api/review", params={"as_of": AS_OF}, headers=anna).json()
        assert {d["owner"] for d in review["deals"]} == {"Anna Keller"}
        assert sum(p["deals"] for p in mine["periods"]) == len(review["deals"])
        assert _sums(mine)[0] == pytest.approx(review["summary"]["forecast"], abs=0.5)
        manager = bearer(team.manager_token)
        everyone = client.get("/api/forecast", params=params, headers=manager).json()
        assert mine["total"] < everyone["total"]
        lukas = {**params, "owner": "Lukas Brandt"}
        assert client.get("/api/forecast", params=lukas, headers=anna).status_code == 403
        his = client.get("/api/forecast", params=lukas, headers=manager).json()
        assert 0 < his["total"] < everyone["total"]
