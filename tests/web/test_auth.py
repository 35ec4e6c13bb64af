"""Team mode: sign-in, API tokens, roles, CSRF; local mode's own guards."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from tests.web.conftest import (
    AS_OF,
    PASSWORD,
    Team,
    bearer,
    csrf_of,
    deal_of,
    make_client,
    web_settings,
)
from walkaway.cli import app as cli_app
from walkaway.service.users import add_user, check_password, issue_token, user_for_token
from walkaway.store import open_store

ERROR_KEYS = {"error", "detail", "problems"}


def sign_in(client: Any, name: str, password: str = PASSWORD) -> Any:
    page = client.get("/login")
    return client.post(
        "/login",
        data={"name": name, "password": password, "csrf_token": csrf_of(page.text), "next": "/"},
        follow_redirects=False,
    )


def test_without_sign_in_the_api_says_401_and_pages_go_to_the_sign_in(team: Team) -> None:
    with team.client() as client:
        response = client.get("/api/review")
        assert response.status_code == 401
        assert set(response.json()) == ERROR_KEYS and response.json()["error"] == "not_signed_in"
        page = client.get("/deals/D-2020?as_of=2026-11-16", follow_redirects=False)
        assert page.status_code == 303
        assert page.headers["location"].startswith("/login?next=/deals/D-2020")
        assert client.get("/api/health").status_code == 200  # for load balancers


def test_a_wrong_token_or_password_is_refused(team: Team) -> None:
    with team.client() as client:
        assert client.get("/api/review", headers=bearer("wa_nope")).status_code == 401
        assert sign_in(client, "anna", "wrong password").status_code == 401
        assert sign_in(client, "nobody").status_code == 401
        assert client.get("/api/me").status_code == 401


def test_a_rep_sees_and_decides_on_their_own_deals_only(team: Team) -> None:
    with team.client() as client:
        manager = bearer(team.manager_token)
        anna_deal = deal_of_token(client, manager, "Anna Keller")
        lukas_deal = deal_of_token(client, manager, "Lukas Brandt")
        anna = bearer(team.anna_token)
        review = client.get("/api/review", headers=anna, params={"as_of": AS_OF}).json()
        assert review["deals"] and {d["owner"] for d in review["deals"]} == {"Anna Keller"}
        assert client.get(f"/api/deals/{anna_deal}", headers=anna).status_code == 200
        other = client.get(f"/api/deals/{lukas_deal}", headers=anna)
        assert other.status_code == 404 and other.json()["error"] == "not_found"
        asked = client.get("/api/review", headers=anna, params={"owner": "Lukas Brandt"})
        assert asked.status_code == 403
        decision = {"deal_id": lukas_deal, "decision": "walk_away", "reason": "not mine"}
        assert client.post("/api/decisions", headers=anna, json=decision).status_code == 404
        assert client.post("/api/decisions", headers=manager, json=decision).status_code == 201
        mine = {"deal_id": anna_deal, "decision": "pursue", "reason": "champion is active"}
        made = client.post("/api/decisions", headers=anna, json=mine)
        assert made.status_code == 201 and made.json()["decided_by"] == "anna"
        assert client.get("/api/deals/NOPE", headers=anna).status_code == 404


def deal_of_token(client: Any, headers: dict[str, str], owner: str) -> str:
    deals = client.get("/api/review", headers=headers, params={"as_of": AS_OF}).json()["deals"]
    return str(next(d["deal_id"] for d in deals if d["owner"] == owner))


def test_only_a_manager_changes_the_policy_or_imports(team: Team) -> None:
    with team.client() as client:
        anna, mia = bearer(team.anna_token), bearer(team.manager_token)
        text = 'currency = "EUR"\n'
        assert client.put("/api/policy", headers=anna, content=text).status_code == 403
        assert client.put("/api/policy", headers=mia, content=text).status_code == 200
        files = {"deals": ("d.csv", b"deal_id\n")}
        assert client.post("/api/import", headers=anna, files=files).status_code == 403


def test_signed_in_pages_follow_the_role(team: Team) -> None:
    with team.client() as client:
        assert sign_in(client, "lukas").status_code == 303
        board = client.get("/", params={"as_of": AS_OF})
        assert board.status_code == 200 and "Lukas Brandt" in board.text
        assert "Anna Keller" not in board.text
        anna_deal = deal_of_token(client, bearer(team.manager_token), "Anna Keller")
        assert client.get(f"/deals/{anna_deal}", params={"as_of": AS_OF}).status_code == 404
        assert client.get("/api/me").json() == {
            "name": "lukas",
            "role": "rep",
            "rep_name": "Lukas Brandt",
        }


def test_forms_need_the_csrf_token(team: Team) -> None:
    with team.client() as client:
        sign_in(client, "mia")
        deal_id = deal_of(client, "Jonas Berg")
        form = {"decision": "walk_away", "reason": "dead", "as_of": AS_OF}
        url = f"/deals/{deal_id}/decide"
        refused = client.post(url, data=form, follow_redirects=False)
        assert refused.status_code == 403 and "security token" in refused.text
        forged = client.post(url, data={**form, "csrf_token": "guess"}, follow_redirects=False)
        assert forged.status_code == 403
        token = csrf_of(client.get(f"/deals/{deal_id}", params={"as_of": AS_OF}).text)
        done = client.post(url, data={**form, "csrf_token": token}, follow_redirects=False)
        assert done.status_code == 303 and done.headers["location"].startswith("/journal")
        logout = client.post("/logout", data={"csrf_token": "wrong"})
        assert logout.status_code == 403


def test_api_writes_with_a_session_cookie_need_the_csrf_header(team: Team) -> None:
    with team.client() as client:
        sign_in(client, "mia")
        deal_id = deal_of(client, "Jonas Berg")
        body = {"deal_id": deal_id, "decision": "pursue", "reason": "fine"}
        assert client.post("/api/decisions", json=body).status_code == 403
        token = csrf_of(client.get("/").text)
        made = client.post("/api/decisions", json=body, headers={"X-CSRF-Token": token})
        assert made.status_code == 201


def test_local_mode_refuses_other_sites_and_other_hosts(demo_url: str) -> None:
    with make_client(web_settings(demo_url)) as client:
        body = {"deal_id": "D-2020", "decision": "pursue", "reason": "x"}
        evil = {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}
        refused = client.post("/api/decisions", json=body, headers=evil)
        assert refused.status_code == 403 and refused.json()["error"] == "forbidden"
        rebound = client.get("/api/health", headers={"Host": "evil.example"})
        assert rebound.status_code == 400


@pytest.mark.parametrize("role", ["rep", "manager"])
def test_passwords_and_tokens_are_kept_hashed(demo_url: str, role: str) -> None:
    store = open_store(demo_url)
    user = add_user(store, "sam", role, "s3cret-enough", rep_name="Jonas Berg")
    token = issue_token(store, "sam")
    with store.connect() as conn:
        stored = " ".join(
            str(v) for row in conn.exec_driver_sql("SELECT * FROM users") for v in row
        )
        stored += " ".join(
            str(v) for row in conn.exec_driver_sql("SELECT * FROM api_tokens") for v in row
        )
    assert "s3cret-enough" not in stored and token not in stored and "$argon2id$" in stored
    assert check_password(store, "sam", "s3cret-enough") == user
    assert check_password(store, "sam", "wrong") is None
    assert user_for_token(store, token) == user
    store.close()


def _delete_user_row(url: str, name: str) -> None:
    """Delete a user as a team would by hand (no `walkaway user remove`), foreign keys
    off on SQLite: the user's tokens stay behind."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM users WHERE name = :name"), {"name": name})
    engine.dispose()


def test_a_deleted_users_token_and_session_never_act_for_the_next_user(team: Team) -> None:
    with team.client() as client:
        assert sign_in(client, "lukas").status_code == 303
        assert client.get("/api/me").json()["name"] == "lukas"
        _delete_user_row(team.url, "lukas")
        store = open_store(team.url)
        add_user(store, "carol", "manager", PASSWORD)  # SQLite gives her lukas's row id
        store.close()
        assert client.get("/api/me").status_code == 401
        assert client.get("/api/me", headers=bearer(team.lukas_token)).status_code == 401
        decision = {"deal_id": deal_of_token(client, bearer(team.manager_token), "Jonas Berg"),
                    "decision": "pursue", "reason": "as carol?"}  # fmt: skip
        old = client.post("/api/decisions", headers=bearer(team.lukas_token), json=decision)
        assert old.status_code == 401


def _cli(runner: CliRunner, *args: str) -> Any:
    return runner.invoke(cli_app, list(args))


def test_deactivating_or_removing_a_user_ends_their_sessions_and_tokens_at_once(
    team: Team, runner: CliRunner
) -> None:
    with team.client() as client, team.client() as browser:
        lukas = bearer(team.lukas_token)
        deal_id = deal_of_token(client, lukas, "Lukas Brandt")
        body = {"deal_id": deal_id, "decision": "pursue", "reason": "the buyer replied"}
        assert client.post("/api/decisions", headers=lukas, json=body).status_code == 201
        assert sign_in(browser, "lukas").status_code == 303
        done = _cli(runner, "user", "deactivate", "lukas", "--db", team.url)
        assert done.exit_code == 0 and "1 token(s) ended" in done.output, done.output
        assert client.get("/api/me", headers=lukas).status_code == 401
        assert browser.get("/api/me").status_code == 401
        assert sign_in(browser, "lukas").status_code == 401
        listed = _cli(runner, "user", "list", "--db", team.url).output
        assert "lukas: rep (owner: Lukas Brandt), deactivated" in listed
        mia = bearer(team.manager_token)
        entries = client.get("/api/journal", headers=mia).json()["entries"]
        assert any(e["deal_id"] == deal_id and e["decided_by"] == "lukas" for e in entries)

        assert sign_in(browser, "anna").status_code == 303
        gone = _cli(runner, "user", "remove", "anna", "--db", team.url)
        assert gone.exit_code == 0, gone.output
        assert client.get("/api/me", headers=bearer(team.anna_token)).status_code == 401
        assert browser.get("/api/me").status_code == 401
        assert "anna" not in _cli(runner, "user", "list", "--db", team.url).output
    unknown = _cli(runner, "user", "remove", "nobody", "--db", team.url)
    assert unknown.exit_code == 2 and "no user named 'nobody'" in unknown.output


def test_docs_and_the_openapi_document_need_a_sign_in_in_team_mode(team: Team) -> None:
    with team.client() as client:
        assert client.get("/openapi.json").status_code == 401
        page = client.get("/docs", follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"].startswith("/login")
        anna = bearer(team.anna_token)
        assert "/api/review" in client.get("/openapi.json", headers=anna).json()["paths"]
        assert sign_in(client, "anna").status_code == 303
        assert "/api/review" in client.get("/docs").text
