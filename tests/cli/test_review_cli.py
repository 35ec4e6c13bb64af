"""review, show, message, policy and demo as a user runs them, on the bundled sample."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from walkaway.cli import app
from walkaway.sample import SAMPLE_AS_OF
from walkaway.service.readiness import NOT_MOVING

AS_OF = SAMPLE_AS_OF.isoformat()
DEAL_KEYS = {
    "deal_id",
    "name",
    "owner",
    "stage",
    "amount",
    "recommendation",
    "win_probability",
    "expected_value",
    "cost_to_pursue",
    "flags",
    "reasons",
    "requalify_by",
    "revisit_on",
}


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    db = str(tmp_path_factory.mktemp("demo") / "demo.db")
    result = CliRunner().invoke(app, ["demo", "--db", db])
    assert result.exit_code == 0, result.output
    assert "Pipeline review as of 2026-11-16" in result.output
    return db


def review_json(db: str, *extra: str) -> dict[str, object]:
    result = CliRunner().invoke(
        app, ["review", "--db", db, "--as-of", AS_OF, "--format", "json", *extra]
    )
    assert result.exit_code == 0, result.output
    data: dict[str, object] = json.loads(result.stdout)
    return data


def test_review_json_contract(demo_db: str) -> None:
    data = review_json(demo_db)
    assert data["as_of"] == "2026-11-16T00:00:00+00:00"
    deals = data["deals"]
    assert isinstance(deals, list) and len(deals) == 60
    for deal in deals:
        assert set(deal) >= DEAL_KEYS
        assert deal["recommendation"] in {"pursue", "requalify", "walk_away"}
        assert 0.0 <= deal["win_probability"] <= 1.0
        for flag in deal["flags"]:
            assert set(flag) == {"code", "severity", "evidence", "question"}
        if deal["recommendation"] == "requalify":
            assert deal["requalify_by"] and deal["questions"]
        if deal["recommendation"] == "walk_away":
            assert deal["revisit_on"] and deal["reasons"]
    summary = data["summary"]
    assert isinstance(summary, dict)
    counts = summary["by_recommendation"]
    assert sum(counts.values()) == 60
    walk_value = sum(d["amount"] for d in deals if d["recommendation"] == "walk_away")
    assert summary["walk_away_value"] == pytest.approx(walk_value)
    forecast = sum(d["win_probability"] * d["amount"] for d in deals)
    assert summary["forecast"] == pytest.approx(forecast, abs=0.01)


def test_most_urgent_first(demo_db: str) -> None:
    order = [d["recommendation"] for d in review_json(demo_db)["deals"]]  # type: ignore[union-attr]
    rank = {"walk_away": 0, "requalify": 1, "pursue": 2}
    assert [rank[r] for r in order] == sorted(rank[r] for r in order)


def test_healthy_and_dying_deals_get_the_right_call(demo_db: str) -> None:
    calls = {d["deal_id"]: d for d in review_json(demo_db)["deals"]}  # type: ignore[union-attr]
    for healthy in ("D-2001", "D-2002", "D-2003"):
        assert calls[healthy]["recommendation"] == "pursue", calls[healthy]["reasons"]
    # Margin 12% and 9%: below the policy floor, a hard stop whatever the odds.
    for hard_stop in ("D-2020", "D-2029"):
        assert calls[hard_stop]["recommendation"] == "walk_away"
        assert calls[hard_stop]["reasons"][0].startswith("Hard stop")
    codes = {f["code"] for f in calls["D-2007"]["flags"]}
    assert "unresponsive" in codes


def test_filters_keep_team_norms(demo_db: str) -> None:
    everyone = {d["deal_id"]: d for d in review_json(demo_db)["deals"]}  # type: ignore[union-attr]
    jonas = review_json(demo_db, "--owner", "jonas berg")["deals"]
    assert jonas and {d["owner"] for d in jonas} == {"Jonas Berg"}  # type: ignore[union-attr]
    for deal in jonas:  # type: ignore[union-attr]
        assert deal["win_probability"] == everyone[deal["deal_id"]]["win_probability"]
    proposal = review_json(demo_db, "--stage", "Proposal")["deals"]
    assert proposal and {d["stage"] for d in proposal} == {"Proposal"}  # type: ignore[union-attr]


def test_as_of_the_past_sees_only_the_past(demo_db: str) -> None:
    earlier = review_json(demo_db, "--as-of", "2026-06-01")
    assert earlier["as_of"] == "2026-06-01T00:00:00+00:00"
    ids = {d["deal_id"] for d in earlier["deals"]}  # type: ignore[union-attr]
    assert "D-2004" not in ids  # created days before the sample's today


def test_csv_and_table(demo_db: str) -> None:
    runner = CliRunner()
    csv = runner.invoke(app, ["review", "--db", demo_db, "--as-of", AS_OF, "--format", "csv"])
    lines = csv.stdout.strip().splitlines()
    assert lines[0].startswith("deal_id,") and len(lines) == 61
    table = runner.invoke(app, ["review", "--db", demo_db, "--as-of", AS_OF])
    assert "Summary" in table.stdout and "pollution" in table.stdout


def test_show_text_and_json(demo_db: str) -> None:
    runner = CliRunner()
    text = runner.invoke(app, ["show", "D-2030", "--db", demo_db, "--as-of", AS_OF])
    assert text.exit_code == 0, text.output
    assert "never counted" in text.stdout and "Rep's own confidence: 5/5" in text.stdout
    data = json.loads(
        runner.invoke(
            app, ["show", "D-2030", "--db", demo_db, "--as-of", AS_OF, "--format", "json"]
        ).stdout
    )
    assert set(data) >= DEAL_KEYS
    assert any(f["code"] == "gut_vs_data" for f in data["flags"])
    assert all(a["at"] < AS_OF for a in data["as_of_timeline"])


@pytest.mark.parametrize("tone", ["warm", "direct"])
def test_exit_message(demo_db: str, tone: str) -> None:
    result = CliRunner().invoke(
        app, ["message", "D-2033", "--db", demo_db, "--as-of", AS_OF, "--tone", tone]
    )
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "Thank" in text or "thank" in text
    assert "2027" in text  # proposes when to talk again
    assert "p×V" not in text and "walk_away" not in text
    assert text.startswith("Subject: ") and "Hi Aurora" not in text  # the company is no person
    assert "Warning" not in result.stderr  # a walk-away call


def test_an_exit_message_for_a_pursue_deal_warns(demo_db: str) -> None:
    shown = CliRunner().invoke(
        app, ["review", "--db", demo_db, "--as-of", AS_OF, "--format", "json"]
    )
    pursued = next(d for d in json.loads(shown.stdout)["deals"] if d["recommendation"] == "pursue")
    result = CliRunner().invoke(
        app, ["message", pursued["deal_id"], "--db", demo_db, "--as-of", AS_OF]
    )
    assert result.exit_code == 0 and result.stdout.startswith("Subject: ")
    assert result.stderr.startswith(f"Warning: The data says pursue {pursued['deal_id']}")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["show", "NOPE"], "error: no deal with id 'NOPE'"),
        (["show", "D-2004", "--as-of", "2026-01-01"], "error: deal 'D-2004' was created on"),
        (["show", "D-1001", "--as-of", AS_OF], "error: deal 'D-1001' was already closed"),
        (["review", "--as-of", "last week"], "error: --as-of 'last week' is not a date"),
        (["message", "NOPE"], "error: no deal with id 'NOPE'"),
    ],
)
def test_bad_input_is_one_line_exit_2(demo_db: str, args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, [*args, "--db", demo_db])
    assert result.exit_code == 2
    assert result.stderr.startswith(message) and result.stderr.count("\n") == 1


def test_policy_init_set_show(tmp_path: Path) -> None:
    runner = CliRunner()
    db = str(tmp_path / "p.db")
    policy_file = tmp_path / "team.toml"
    assert runner.invoke(app, ["policy", "init", "--out", str(policy_file)]).exit_code == 0
    again = runner.invoke(app, ["policy", "init", "--out", str(policy_file)])
    assert again.exit_code == 2 and "already exists" in again.stderr
    default = runner.invoke(app, ["policy", "show", "--db", db]).stdout
    assert default.startswith("# No team policy stored")
    text = policy_file.read_text()
    assert "walk_away_factor" in text
    policy_file.write_text(text + "\n# our tweak\n")
    assert runner.invoke(app, ["policy", "set", str(policy_file), "--db", db]).exit_code == 0
    assert runner.invoke(app, ["policy", "show", "--db", db]).stdout.endswith("# our tweak\n")


def test_policy_set_refuses_a_bad_policy(tmp_path: Path) -> None:
    runner = CliRunner()
    db = str(tmp_path / "p.db")
    bad = tmp_path / "bad.toml"
    bad.write_text("[economics]\nhourly_cots = 80\n")
    result = runner.invoke(app, ["policy", "set", str(bad), "--db", db])
    assert result.exit_code == 2
    assert "hourly_cots" in result.stderr and result.stderr.count("\n") == 1
    assert runner.invoke(app, ["policy", "show", "--db", db]).stdout.startswith("# No team policy")


def test_policy_set_refuses_a_policy_nested_1000_deep_in_one_line(tmp_path: Path) -> None:
    deep = tmp_path / "deep.toml"
    deep.write_text("x = " + "[" * 1000 + "]" * 1000 + "\n")
    result = CliRunner().invoke(app, ["policy", "set", str(deep), "--db", str(tmp_path / "p.db")])
    assert result.exit_code == 2
    assert "more than 16 levels deep" in result.stderr and result.stderr.count("\n") == 1


def _critical(deal: dict[str, Any]) -> list[dict[str, str]]:
    return [f for f in deal["flags"] if f["severity"] == "critical"]


def test_readiness_is_no_good_news_beside_a_critical_flag(demo_db: str) -> None:
    deals = review_json(demo_db)["deals"]
    assert isinstance(deals, list)
    troubled = [d for d in deals if d["ready_to_advance"] and _critical(d)]
    calm = [
        d
        for d in deals
        if d["ready_to_advance"]
        and not _critical(d)
        and d["recommendation"] != "walk_away"
        and not {f["code"] for f in d["flags"]} & set(NOT_MOVING)
    ]
    walked = [
        d
        for d in deals
        if d["ready_to_advance"] and not _critical(d) and d["recommendation"] == "walk_away"
    ]
    behind = [d for d in deals if not d["ready_to_advance"]]
    assert troubled and calm and walked and behind  # the sample has all four
    runner = CliRunner()

    def shown(deal: dict[str, Any]) -> str:
        args = ["show", deal["deal_id"], "--db", demo_db, "--as-of", AS_OF]
        return " ".join(runner.invoke(app, args).stdout.split())

    for deal in troubled:
        text = shown(deal)
        assert "Ready to advance" not in text
        assert (
            f"Exit criteria met, but do not advance on them: {_critical(deal)[0]['evidence']}"
            in (text)
        )
    assert "Ready to advance: the buyer has done what this stage asks." in shown(calm[0])
    assert "Exit criteria met, but the numbers say walk away" in shown(walked[0])
    missing = ", ".join(behind[0]["missing_criteria"])
    assert f"Not ready to advance: still missing {missing}." in shown(behind[0])
    # the issue's D-2001 at 2027-03-01: PURSUE beside 107 days of silence read "Ready to
    # advance"; criteria met long ago are no news that it is ready now
    args = ["show", "D-2001", "--db", demo_db, "--as-of", "2027-03-01"]
    later = " ".join(runner.invoke(app, args).stdout.split())
    assert "Ready to advance" not in later
    assert "Exit criteria met, but the deal is not moving: No activity on either side" in later


def test_show_lists_the_activities_in_words(demo_db: str) -> None:
    runner = CliRunner()
    found = runner.invoke(
        app, ["show", "D-2005", "--db", demo_db, "--as-of", AS_OF, "--format", "json"]
    )
    timeline = json.loads(found.stdout)["as_of_timeline"]
    assert len(timeline) > 12 and any(a["kind"] == "stage_change" for a in timeline[-12:])
    text = runner.invoke(app, ["show", "D-2005", "--db", demo_db, "--as-of", AS_OF]).stdout
    assert f"The last 12 of {len(timeline)} activities" in text
    assert "stage change" in text and "stage_change" not in text
