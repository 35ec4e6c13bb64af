"""What the web app promises against the browser's usual attacks (docs/security.md):
security headers on every answer, pages without inline script or style, session cookies
that scripts cannot read and other sites cannot send, CSRF tokens on every form, and a
limit on failed sign-ins per user and per address."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute

from tests.web.conftest import AS_OF, PASSWORD, Team, csrf_of, deal_of, make_client, web_settings
from walkaway.models import SHORT_TEXT
from walkaway.web.security import SignInThrottle

TEMPLATES = Path(__file__).parents[2] / "src" / "walkaway" / "web" / "templates"
PAGES = ["/", f"/deals/{{deal}}?as_of={AS_OF}", "/journal", "/losses", "/import", "/policy",
         "/leadership", "/docs", "/backtest", "/static/walkaway.css", "/api/health",
         "/no/such/page"]  # fmt: skip


def policy_of(response: Any) -> dict[str, str]:
    policy = response.headers["content-security-policy"]
    return {part.split()[0]: part for part in (p.strip() for p in policy.split(";")) if part}


@pytest.mark.parametrize("team_mode", [False, True], ids=["local", "team"])
def test_every_answer_carries_the_security_headers(demo_url: str, team_mode: bool) -> None:
    with make_client(web_settings(demo_url)) as local:
        deal = deal_of(local, "Jonas Berg")
    with make_client(web_settings(demo_url, auth=team_mode)) as client:
        for path in PAGES:
            response = client.get(path.format(deal=deal), follow_redirects=False)
            directives = policy_of(response)
            assert directives["script-src"] == "script-src 'self'", path
            assert directives["style-src"] == "style-src 'self'", path
            assert directives["frame-ancestors"] == "frame-ancestors 'none'", path
            assert "'unsafe-inline'" not in response.headers["content-security-policy"]
            assert response.headers["x-content-type-options"] == "nosniff"
            assert response.headers["x-frame-options"] == "DENY"


def test_pages_hold_no_inline_script_style_or_handler(client: Any) -> None:
    """The policy forbids them, so none may be there (the Chromium test sees it run)."""
    deal = deal_of(client, "Jonas Berg")
    for path in PAGES[:9]:
        html = client.get(path.format(deal=deal)).text
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
        assert not re.search(r"<style\b|\sstyle=|\son[a-z]+=", html, re.IGNORECASE), path


def test_every_form_that_posts_carries_the_csrf_token() -> None:
    for template in TEMPLATES.glob("*.html"):
        text = template.read_text()
        for form in re.findall(r"<form[^>]*method=\"post\".*?</form>", text, re.S | re.I):
            assert 'name="csrf_token" value="{{ csrf_token }}"' in form, template.name


def sign_in(client: Any, name: str, password: str = PASSWORD) -> Any:
    page = client.get("/login")
    form = {"name": name, "password": password, "csrf_token": csrf_of(page.text), "next": "/"}
    return client.post("/login", data=form, follow_redirects=False)


def test_the_session_cookie_is_httponly_samesite_and_secure_in_team_mode(team: Team) -> None:
    with team.client() as client:
        cookie = sign_in(client, "mia").headers["set-cookie"].lower()
        assert "walkaway_session=" in cookie
        assert "httponly" in cookie and "samesite=lax" in cookie and "secure" in cookie


def test_the_local_session_cookie_is_httponly_and_samesite(client: Any) -> None:
    cookie = client.get("/").headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert "secure" not in cookie  # loopback without TLS: the browser would drop it


def _routes(routes: list[Any]) -> list[APIRoute]:
    found: list[APIRoute] = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        elif hasattr(route, "original_router"):  # FastAPI keeps included routers whole
            found += _routes(route.original_router.routes)
    return found


def _page_posts(app: Any) -> list[str]:
    return sorted(
        route.path
        for route in _routes(app.routes)
        if "POST" in route.methods and not route.path.startswith("/api/")
    )


@pytest.mark.parametrize("team_mode", [False, True], ids=["local", "team"])
def test_every_form_post_without_the_token_is_refused(demo_url: str, team_mode: bool) -> None:
    """Every POST route of the pages, found from the app itself (a new form is covered
    the day it is added), refuses a post without the session's token."""
    with make_client(web_settings(demo_url, auth=team_mode)) as client:
        if team_mode:
            from walkaway.service.users import add_user
            from walkaway.store import open_store

            store = open_store(demo_url)
            add_user(store, "mia", "manager", PASSWORD)
            store.close()
            assert sign_in(client, "mia").status_code == 303
        deal = deal_of(client, "Jonas Berg")
        posts = _page_posts(client.app)
        assert "/deals/{deal_id}/decide" in posts and "/login" in posts
        for path in posts:
            url = path.replace("{deal_id}", deal)
            for token in (None, "forged"):
                # every field a form could want, so that only the token is missing
                data = {"deal_id": deal, "outcome": "no_decision", "name": "mia",
                        "password": PASSWORD, "toml": 'currency = "EUR"', "decision": "pursue",
                        "reason": "fine", "answer": "x"}  # fmt: skip
                if token:
                    data["csrf_token"] = token
                files = {"deals": ("d.csv", b"deal_id\n")} if path == "/import" else None
                refused = client.post(url, data=data, files=files, follow_redirects=False)
                assert refused.status_code == 403, (path, refused.status_code)


def test_failed_sign_ins_are_limited_per_user(team: Team) -> None:
    with team.client() as client:
        for _ in range(5):
            assert sign_in(client, "anna", "wrong password").status_code == 401
        refused = sign_in(client, "anna")  # the right password, but guessing must stop
        assert refused.status_code == 429
        assert 0 < int(refused.headers["retry-after"]) <= 900
        assert "Too many failed sign-ins" in refused.text
        assert sign_in(client, "lukas").status_code == 303  # another user is not locked out


def test_failed_sign_ins_are_limited_per_address(team: Team) -> None:
    with team.client() as client:
        for n in range(20):
            assert sign_in(client, f"guess{n}", "wrong password").status_code == 401
        refused = sign_in(client, "mia")
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0


def test_the_limit_lifts_when_the_window_has_passed_and_a_success_clears_it() -> None:
    now = [1000.0]
    throttle = SignInThrottle(per_user=3, per_address=10, window_seconds=60, clock=lambda: now[0])
    for _ in range(3):
        throttle.failed("Anna", "10.0.0.1")
    assert throttle.retry_after("anna ", "10.0.0.2") == 60
    now[0] += 30
    assert throttle.retry_after("anna", "10.0.0.2") == 30
    now[0] += 31
    assert throttle.retry_after("anna", "10.0.0.2") is None
    throttle.failed("anna", "10.0.0.1")
    throttle.succeeded("ANNA")
    assert throttle.retry_after("anna", "10.0.0.3") is None


def test_the_sign_in_limit_keeps_bounded_memory_whatever_names_are_sent() -> None:
    throttle = SignInThrottle(max_keys=50)
    for n in range(200):
        throttle.failed(f"{n}-" + "x" * 500_000, f"10.0.{n // 250}.{n % 250}")
    assert len(throttle) == 50
    assert all(len(key[1]) <= SHORT_TEXT for key in throttle._failures)
    throttle.failed("anna", "10.9.9.9")
    for _ in range(10):
        throttle.failed("anna", "10.9.9.9")
    assert max(len(times) for times in throttle._failures.values()) <= 20


def test_a_half_megabyte_name_is_refused_like_any_wrong_one(team: Team) -> None:
    with team.client() as client:
        assert sign_in(client, "x" * 500_000, "wrong password").status_code == 401
        throttle = client.app.state.sign_in_throttle
        assert all(len(key[1]) <= SHORT_TEXT for key in throttle._failures)


def _client_from(settings: Any, address: str) -> Any:
    from fastapi.testclient import TestClient

    from walkaway.web.app import create_app

    return TestClient(create_app(settings), base_url="https://127.0.0.1", client=(address, 5000))


def _fail_from(client: Any, forwarded: str, name: str) -> int:
    page = client.get("/login")
    form = {"name": name, "password": "wrong password", "csrf_token": csrf_of(page.text)}
    headers = {"X-Forwarded-For": forwarded}
    return int(client.post("/login", data=form, headers=headers).status_code)


def test_x_forwarded_for_is_believed_only_from_the_named_proxies(team: Team) -> None:
    """By default the client is the address that connected, loopback included: a forged
    X-Forwarded-For does not get round the per-address limit."""
    with _client_from(web_settings(team.url, auth=True), "127.0.0.1") as client:
        for n in range(20):
            assert _fail_from(client, f"10.0.0.{n}", f"guess{n}") == 401
        assert sign_in(client, "mia").status_code == 429


def test_behind_a_named_proxy_each_client_has_its_own_limit(team: Team) -> None:
    settings = web_settings(team.url, auth=True, forwarded_allow_ips=("127.0.0.1",))
    with _client_from(settings, "127.0.0.1") as client:
        for n in range(20):
            assert _fail_from(client, "10.0.0.9", f"guess{n}") == 401
        assert _fail_from(client, "10.0.0.9", "guess-more") == 429
        assert _fail_from(client, "10.0.0.10", "guess-more") == 401  # another client
        assert sign_in(client, "mia").status_code == 303  # the team is not locked out


def test_serve_believes_proxy_headers_only_from_forwarded_allow_ips(
    team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn
    from typer.testing import CliRunner

    from walkaway.cli import app as cli_app

    ran: dict[str, Any] = {}

    def run(web_app: Any, **options: Any) -> None:
        ran.update(options, app=web_app)
        web_app.state.store.close()  # as the app's lifespan does when uvicorn stops

    monkeypatch.setattr(uvicorn, "run", run)
    args = ["serve", "--auth", "--port", "0", "--db", team.url]
    plain = CliRunner().invoke(cli_app, args)
    assert plain.exit_code == 0, plain.output
    assert ran["proxy_headers"] is False and ran["app"].state.settings.forwarded_allow_ips == ()
    proxied = CliRunner().invoke(cli_app, [*args, "--forwarded-allow-ips", "10.1.1.1, 10.2.0.0/16"])
    assert proxied.exit_code == 0, proxied.output
    assert ran["app"].state.settings.forwarded_allow_ips == ("10.1.1.1", "10.2.0.0/16")
