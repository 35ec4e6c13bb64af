"""The JSON API on the bundled sample, on SQLite and PostgreSQL."""

from __future__ import annotations

import gc
import json
import re
import warnings
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from tests.web.conftest import AS_OF, deal_of, script_deal_csv
from walkaway.cli import app
from walkaway.models import parse_moment
from walkaway.store import open_store
from walkaway.store.schema import deals, decisions

ERROR_KEYS = {"error", "detail", "problems"}


def cli_json(runner: CliRunner, *args: str) -> Any:
    """What a CLI command prints as JSON. A command leaves its store for the process exit
    to close; collect that here, where a PostgreSQL connection's ResourceWarning is moot."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        result = runner.invoke(app, list(args))
        gc.collect()
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def rounded(value: Any) -> Any:
    """Floats to 9 significant digits, inside dicts and lists too."""
    if isinstance(value, float):
        return float(f"{value:.9g}")
    if isinstance(value, dict):
        return {k: rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [rounded(v) for v in value]
    return value


def deal_count(url: str) -> int:
    store = open_store(url)
    with store.connect() as conn:
        count = conn.execute(sa.select(sa.func.count()).select_from(deals)).scalar_one()
    store.close()
    return int(count)


def test_health_says_which_database(client: Any, demo_url: str) -> None:
    body = client.get("/api/health").json()
    assert body["status"] == "ok"
    assert body["database"] == ("sqlite" if demo_url.startswith("sqlite") else "postgresql")
    assert body["auth"] is False


@pytest.mark.parametrize(
    "filters", [{}, {"owner": "claire dubois"}, {"stage": "Proposal", "owner": "Anna Keller"}]
)
def test_review_is_the_same_json_as_the_cli(
    client: Any, demo_url: str, runner: CliRunner, filters: dict[str, str]
) -> None:
    api = client.get("/api/review", params={"as_of": AS_OF, **filters}).json()
    args = [a for k, v in filters.items() for a in (f"--{k}", v)]
    cli = cli_json(runner, "review", "--format", "json", "--as-of", AS_OF, "--db", demo_url, *args)
    assert api == cli
    assert api["deals"], "the sample has open deals for every filter above"


def test_deal_detail_matches_show(client: Any, demo_url: str, runner: CliRunner) -> None:
    deal_id = deal_of(client, "Claire Dubois", "walk_away")
    api = client.get(f"/api/deals/{deal_id}", params={"as_of": AS_OF}).json()
    cli = cli_json(runner, "show", deal_id, "--format", "json", "--as-of", AS_OF, "--db", demo_url)
    # The API answers from the team's cached review; sums may differ in the last bit.
    assert rounded(api) == rounded(cli)
    assert api["flags"] and all(f["evidence"] and f["question"] for f in api["flags"])
    assert api["as_of_timeline"] and all(a["at"] < AS_OF for a in api["as_of_timeline"])
    assert {"expected_value", "cost_to_pursue", "value_per_hour", "hours_needed"} <= set(api)


def test_unknown_deal_is_a_404_in_the_one_error_shape(client: Any) -> None:
    response = client.get("/api/deals/NO-SUCH-DEAL")
    assert response.status_code == 404
    body = response.json()
    assert set(body) == ERROR_KEYS
    assert body["error"] == "not_found" and "NO-SUCH-DEAL" in body["detail"]
    assert client.get("/api/nothing-here").json()["error"] == "not_found"


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/review?as_of=yesterday", "as_of"),
        ("/api/deals?limit=0", "limit"),
        ("/api/deals?outcome=maybe", "outcome"),
        ("/api/deals/D-2020/message?tone=rude", "tone"),
    ],
)
def test_invalid_input_is_a_422(client: Any, url: str, field: str) -> None:
    response = client.get(url)
    assert response.status_code == 422
    body = response.json()
    assert set(body) == ERROR_KEYS and body["error"] == "invalid_input"
    assert field in body["detail"] + " ".join(body["problems"])


def test_a_closed_deal_answers_its_outcome_not_a_call(client: Any) -> None:
    won = client.get("/api/deals", params={"outcome": "won", "limit": 1}).json()["deals"][0]
    response = client.get(f"/api/deals/{won['deal_id']}", params={"as_of": AS_OF})
    assert response.status_code == 200
    body = response.json()
    assert body["state"] == "closed" and body["outcome"] == "won"
    assert body["deal_id"] == won["deal_id"] and body["loss_review"] is None
    assert "recommendation" not in body and "win_probability" not in body


def test_deals_are_filtered_and_paginated(client: Any) -> None:
    everything = client.get("/api/deals", params={"limit": 1000}).json()
    assert everything["total"] == len(everything["deals"]) == 360
    page = client.get("/api/deals", params={"owner": "jonas berg", "limit": 5, "offset": 5}).json()
    assert page["total"] > 10 and len(page["deals"]) == 5
    assert {d["owner"] for d in page["deals"]} == {"Jonas Berg"}
    assert isinstance(page["deals"][0]["attributes"], dict)


def test_exit_message_in_both_tones(client: Any) -> None:
    deal_id = deal_of(client, "Anna Keller", "walk_away")
    warm = client.get(f"/api/deals/{deal_id}/message", params={"as_of": AS_OF}).json()
    direct = client.get(
        f"/api/deals/{deal_id}/message", params={"as_of": AS_OF, "tone": "direct"}
    ).json()
    assert warm["tone"] == "warm" and direct["tone"] == "direct"
    assert warm["message"] != direct["message"] and "Anna Keller" in warm["message"]


def test_policy_round_trip_and_a_bad_policy_is_refused(client: Any) -> None:
    first = client.get("/api/policy").json()
    assert first["source"] == "default" and "[economics]" in first["toml"]
    saved = client.put("/api/policy", content='currency = "USD"\n')
    assert saved.status_code == 200 and saved.json()["source"] == "stored"
    assert 'currency = "USD"' in client.get("/api/policy").json()["toml"]
    # the policy's currency is a default for amounts that name none: the sample's say EUR
    summary = client.get("/api/review", params={"as_of": AS_OF}).json()["summary"]
    assert summary["currency"] == "EUR"
    assert [c["currency"] for c in summary["by_currency"]] == ["EUR"]
    bad = client.put("/api/policy", content="currency = \n[[stages]\n")
    assert bad.status_code == 422 and bad.json()["error"] == "invalid_policy"
    unknown = client.put("/api/policy", content="no_such_key = 1\n")
    assert unknown.status_code == 422 and "no_such_key" in unknown.json()["detail"]
    assert client.get("/api/policy").json()["toml"] == 'currency = "USD"\n'


def test_a_policy_too_deep_or_too_big_is_refused_in_one_line(client: Any) -> None:
    deep = client.put("/api/policy", content="x = " + "[" * 1000 + "]" * 1000)
    assert deep.status_code == 422 and "levels deep" in deep.json()["detail"]
    big = client.put("/api/policy", content=b"#" * (2**20 + 1))
    assert big.status_code == 422 and "a policy may have at most" in big.json()["detail"]
    assert client.get("/api/policy").json()["source"] == "default"


def test_import_with_bad_rows_lists_them_and_writes_nothing(
    client: Any, demo_url: str, tmp_path: Path
) -> None:
    bad = tmp_path / "deals.csv"
    bad.write_text(
        "deal_id,name,owner,stage,amount,created_at,outcome\n"
        "N-1,Fine deal,Anna Keller,Demo,1000,2026-10-01,open\n"
        "N-2,Bad amount,Anna Keller,Demo,lots,2026-10-01,open\n"
        "N-3,Bad date,Anna Keller,Demo,1000,someday,open\n",
        encoding="utf-8",
    )
    before = deal_count(demo_url)
    with bad.open("rb") as file:
        response = client.post("/api/import", files={"deals": ("deals.csv", file, "text/csv")})
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "import_failed" and len(body["problems"]) == 2
    assert all(line.startswith("deals.csv") for line in body["problems"])
    assert "row 3" in body["problems"][0] and "lots" in body["problems"][0]
    assert str(tmp_path) not in response.text and "walkaway-upload" not in response.text
    assert deal_count(demo_url) == before


def test_import_lands_and_shows_in_the_review(client: Any, tmp_path: Path) -> None:
    with script_deal_csv(tmp_path).open("rb") as file:
        response = client.post(
            "/api/import", files={"deals": ("evil.csv", file)}, data={"format": "generic"}
        )
    assert response.status_code == 200, response.text
    assert response.json()["deals_new"] == 1
    ids = [d["deal_id"] for d in client.get("/api/review", params={"as_of": AS_OF}).json()["deals"]]
    assert "X-1" in ids


def test_decision_goes_into_the_journal(client: Any, demo_url: str) -> None:
    deal_id = deal_of(client, "Sofia Marchetti", "requalify")
    response = client.post(
        "/api/decisions",
        json={"deal_id": deal_id, "decision": "walk_away", "reason": "No budget", "by": "Sofia"},
    )
    assert response.status_code == 201, response.text
    recorded = response.json()
    assert recorded["decision"] == "walk_away" and recorded["recommendation"] == "requalify"
    assert recorded["as_of"].startswith(AS_OF) and recorded["revisit_on"] > AS_OF
    entries = client.get("/api/journal", params={"as_of": AS_OF}).json()["entries"]
    assert [(e["deal_id"], e["decision"], e["reason"]) for e in entries] == [
        (deal_id, "walk_away", "No budget")
    ]
    store = open_store(demo_url)
    with store.connect() as conn:
        assert conn.execute(sa.select(decisions.c.decided_by)).scalar_one() == "Sofia"
    store.close()


def test_bad_decisions_are_422_or_404(client: Any) -> None:
    deal_id = deal_of(client, "Jonas Berg")
    cases = [
        ({"deal_id": deal_id, "decision": "maybe", "reason": "x"}, 422),
        ({"deal_id": deal_id, "decision": "pursue", "reason": ""}, 422),
        ({"deal_id": deal_id, "decision": "pursue"}, 422),
        ({"deal_id": "NOPE", "decision": "pursue", "reason": "x"}, 404),
    ]
    for body, status in cases:
        response = client.post("/api/decisions", json=body)
        assert response.status_code == status, (body, response.text)
        assert set(response.json()) == ERROR_KEYS


def test_outcome_and_loss_review(client: Any) -> None:
    deal_id = deal_of(client, "Lukas Brandt")
    response = client.post(
        "/api/outcomes", json={"deal_id": deal_id, "outcome": "lost", "note": "chose a rival"}
    )
    assert response.status_code == 201 and response.json()["outcome"] == "lost"
    lost = client.get("/api/deals", params={"outcome": "lost", "limit": 1}).json()["deals"][0]
    review = client.get(f"/api/deals/{lost['deal_id']}/loss-review").json()
    assert review["deal"]["deal_id"] == lost["deal_id"] and review["timeline"]
    assert review["questions"] and review["move_on_by"]
    still_open = client.get(f"/api/deals/{deal_of(client, 'Jonas Berg')}/loss-review")
    assert still_open.status_code == 409  # well formed: the deal as it stands is not lost
    assert still_open.json()["error"] == "conflict" and "not lost" in still_open.json()["detail"]


def test_openapi_and_docs_work_offline(client: Any) -> None:
    schema = client.get("/openapi.json").json()
    paths = set(schema["paths"])
    assert {"/api/review", "/api/deals/{deal_id}", "/api/decisions", "/api/import"} <= paths
    docs = client.get("/docs")
    assert docs.status_code == 200 and "/api/deals/{deal_id}/loss-review" in docs.text
    assert "cdn" not in docs.text.lower() and "https://" not in docs.text
    assert client.get("/static/walkaway.css").status_code == 200


def test_review_still_matches_the_cli_after_decisions_and_outcomes(
    client: Any, demo_url: str, runner: CliRunner
) -> None:
    before = client.get("/api/review", params={"as_of": AS_OF}).json()
    walk = deal_of(client, "Claire Dubois", "pursue")
    body = {"deal_id": walk, "decision": "walk_away", "reason": "Our call", "as_of": AS_OF}
    assert client.post("/api/decisions", json=body).status_code == 201
    done = {"deal_id": deal_of(client, "Anna Keller"), "outcome": "lost", "on": "2026-11-15"}
    assert client.post("/api/outcomes", json=done).status_code == 201
    after = client.get("/api/review", params={"as_of": AS_OF}).json()
    cli = cli_json(runner, "review", "--format", "json", "--as-of", AS_OF, "--db", demo_url)
    assert after == cli
    # the data's figures do not move; the decision is counted beside them
    human = ("human_decisions", "data_disagrees")
    assert {k: v for k, v in before["summary"].items() if k not in human} == {
        k: v for k, v in after["summary"].items() if k not in human
    }
    assert after["summary"]["human_decisions"] == before["summary"]["human_decisions"] + 1
    # the deal's JSON, from the cached review's row, is show's: the decision in it too
    api = client.get(f"/api/deals/{walk}", params={"as_of": AS_OF}).json()
    cli = cli_json(runner, "show", walk, "--format", "json", "--as-of", AS_OF, "--db", demo_url)
    assert rounded(api) == rounded(cli)
    assert api["human_decision"]["human_decision"] == "walk_away"
    assert api["human_decision"]["decided_at"].startswith("20")


def test_import_refuses_values_past_their_limits_and_escapes_control_characters(
    client: Any, demo_url: str
) -> None:
    """1e20 hours once landed through the API and made every later review answer 500;
    a header with a terminal escape was echoed raw."""
    deals_file = (
        b"deal_id,name,owner,stage,amount,created_at,outcome,hours_invested,x\x1b[2J\n"
        b"N-1,Fine deal,Anna Keller,Demo,1000,2026-10-01,open,1e20,a\n"
        b"N-2,Old deal,Anna Keller,Demo,NaN,9999-12-31,open,,b\n"
    )
    before = deal_count(demo_url)
    response = client.post("/api/import", files={"deals": ("deals.csv", deals_file, "text/csv")})
    assert response.status_code == 422
    problems = response.json()["problems"]
    assert problems == [
        "deals.csv: row 2, column 'hours_invested': '1e20' is not a number of hours 0–100,000",
        "deals.csv: row 3, column 'amount': 'NaN' is not a number 0–1,000,000,000,000",
        "deals.csv: row 3, column 'created_at': '9999-12-31' is not a date (ISO 2026-03-01,"
        " 3/1/26 or 01.03.2026) between 1980-01-01 and 2100-12-31",
    ]
    headless = b"deal_id,amount,when\x1b]0;pwned\x07\nN-1,1000,2026-10-01\n"
    refused = client.post("/api/import", files={"deals": ("deals.csv", headless, "text/csv")})
    assert refused.status_code == 422
    detail = refused.json()["detail"]
    assert "when\\x1b]0;pwned\\x07" in detail and "\x1b" not in detail
    assert deal_count(demo_url) == before
    assert client.get("/api/review", params={"as_of": AS_OF}).status_code == 200


def _moments(body: Any) -> list[str]:
    """Every text in a JSON answer that holds a date and a time of day."""
    if isinstance(body, dict):
        return [m for value in body.values() for m in _moments(value)]
    if isinstance(body, list):
        return [m for value in body for m in _moments(value)]
    if isinstance(body, str) and re.match(r"\d{4}-\d\d-\d\d.\d\d:\d\d", body):
        return [body]
    return []


def test_every_date_time_the_api_writes_carries_its_utc_offset(client: Any) -> None:
    """As the schema declares (``format: date-time``): ISO 8601, a ``T``, the offset."""
    deal_id = deal_of(client, "Jonas Berg")
    lost = client.get("/api/deals", params={"outcome": "lost", "limit": 1}).json()["deals"][0]
    decision = {"deal_id": deal_id, "decision": "pursue", "reason": "the buyer replied"}
    answers = [
        client.post("/api/decisions", json=decision),
        client.post("/api/outcomes", json={"deal_id": lost["deal_id"], "outcome": "lost"}),
        *(
            client.get(path, params={"as_of": AS_OF})
            for path in [
                "/api/review",
                "/api/deals",
                f"/api/deals/{deal_id}",
                "/api/journal",
                f"/api/deals/{deal_id}/message",
                f"/api/deals/{lost['deal_id']}/loss-review",
            ]
        ),
    ]
    seen = 0
    for answer in answers:
        assert answer.status_code < 300, answer.text[:200]
        for text in _moments(answer.json()):
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", text), text
            assert datetime.fromisoformat(text).utcoffset() == timedelta(0)
            seen += 1
    assert seen > 100


def test_a_decision_takes_the_numbers_the_board_shows_and_the_same_as_show_computes(
    client: Any, demo_url: str
) -> None:
    """With the board of that moment at hand a decision takes its deal's numbers from it
    (nothing is computed); they are the numbers the deal's own assessment gives (the
    path ``walkaway decide`` and ``show`` take): the stored snapshots are the same."""
    from walkaway.service.journal import record_decision

    deal_id = deal_of(client, "Anna Keller")  # the board of AS_OF is now at hand
    moment = parse_moment(AS_OF)
    cache = client.app.state.cache
    assert cache.assessment_at(moment, deal_id) is not None
    body = {"deal_id": deal_id, "decision": "pursue", "reason": "board", "as_of": AS_OF}
    assert client.post("/api/decisions", json=body).status_code == 201
    store = open_store(demo_url)
    alone = record_decision(store, deal_id, "pursue", "alone", as_of=moment)
    with store.connect() as conn:
        rows = conn.execute(
            sa.select(decisions.c.reason, decisions.c.snapshot, decisions.c.win_probability)
            .where(decisions.c.deal_id == deal_id)
            .order_by(decisions.c.id)
        ).all()
    store.close()
    (_, board_snapshot, board_p), (_, alone_snapshot, alone_p) = rows[-2:]
    assert json.loads(board_snapshot) == json.loads(alone_snapshot)
    assert board_p == alone_p == alone.win_probability
    # The decision made since changes no number: the board still serves the next one.
    assert cache.assessment_at(moment, deal_id) is not None


def test_after_a_policy_change_a_decision_no_longer_takes_the_old_boards_numbers(
    client: Any,
) -> None:
    deal_id = deal_of(client, "Anna Keller")
    moment = parse_moment(AS_OF)
    assert client.app.state.cache.assessment_at(moment, deal_id) is not None
    assert client.put("/api/policy", content='currency = "USD"\n').status_code == 200
    assert client.app.state.cache.assessment_at(moment, deal_id) is None


def test_import_takes_how_dates_and_numbers_read_and_which_sheet(
    client: Any, tmp_path: Path
) -> None:
    """The form fields dates, decimal and sheet are walkaway import's --dayfirst /
    --monthfirst, --decimal and --sheet; a refusal names the fields, not the options."""
    upload = tmp_path / "deals.csv"
    upload.write_text(
        "deal_id,name,owner,stage,amount,created_at,outcome\n"
        'U-1,Day first,Anna Keller,Demo,"25.000",03/04/2026,open\n',
        encoding="utf-8",
    )

    def send(**fields: str) -> Any:
        with upload.open("rb") as file:
            return client.post("/api/import", files={"deals": ("deals.csv", file)}, data=fields)

    numbers = send()
    assert numbers.status_code == 422
    assert "decimal=," in numbers.json()["detail"] and "--" not in numbers.json()["detail"]
    dates = send(decimal=",")
    assert dates.status_code == 422
    assert "dates=day-first" in dates.json()["detail"] and "--" not in dates.json()["detail"]
    landed = send(dates="day-first", decimal=",")
    assert landed.status_code == 200, landed.text
    deals = client.get("/api/deals", params={"limit": 1000}).json()["deals"]
    deal = next(d for d in deals if d["deal_id"] == "U-1")
    assert deal["amount"] == 25000 and deal["created_at"].startswith("2026-04-03")
    sheet = send(sheet="2")
    assert sheet.status_code == 422 and "a CSV file has one table" in sheet.json()["detail"]


def test_a_filter_holding_a_nul_is_refused(client: Any) -> None:
    """PostgreSQL's text holds no NUL: a filter with one is a 422 naming it, not a 500."""
    for name in ("owner", "stage"):
        answer = client.get("/api/deals", params={name: "Anna\x00Keller"})
        assert answer.status_code == 422, answer.text[:200]
        assert answer.json()["detail"].startswith(f"query.{name}")
