"""End to end in a real headless Chromium against a real server (``walkaway serve``).

Debian's Chromium, driven by Playwright for Python (never a browser of its own); `make
test` installs it (scripts/test-services). Under CI=true a missing browser fails the
test; elsewhere it is skipped with the reason.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import IN_CI
from tests.web.conftest import AS_OF, SCRIPT_NAME, script_deal_csv
from walkaway.service import build_demo, import_files

# Debian's Chromium, which `make test` installs (scripts/test-services reads the same variable).
CHROMIUM = Path(os.environ.get("WALKAWAY_CHROMIUM", "/usr/bin/chromium"))
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
START_SECONDS = 90


def _need_chromium() -> None:
    problem = None
    if not CHROMIUM.exists():
        problem = f"{CHROMIUM} is missing (`make test` installs it: apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError as error:
            problem = f"Playwright for Python is not installed: {error}"
    if problem and IN_CI:
        pytest.fail(f"the end-to-end test needs Chromium under CI=true: {problem}")
    if problem:
        pytest.skip(problem)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_up(base: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"walkaway serve stopped: {log.read_text(errors='replace')}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base}/api/health", timeout=2).status_code == 200:
                return
        time.sleep(0.3)
    raise AssertionError(f"walkaway serve did not answer within {START_SECONDS} s")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """``walkaway serve`` on the bundled sample (plus a deal named like a script)."""
    _need_chromium()
    db = tmp_path / "demo.db"
    store, _ = build_demo(str(db))
    import_files(store, script_deal_csv(tmp_path), format="generic")
    store.close()
    port = _free_port()
    command = [sys.executable, "-m", "walkaway", "serve", "--db", str(db), "--port", str(port)]
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*command, "--as-of", AS_OF], stdout=output, stderr=subprocess.STDOUT
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, process, log)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
        print(log.read_text(errors="replace"))  # shown by pytest when the test fails


def test_board_deal_decision_journal_and_escaping_in_chromium(server: str) -> None:
    from playwright.sync_api import sync_playwright

    dialogs: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            page = browser.new_page()
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            page.goto(f"{server}/")
            assert page.locator("h1").inner_text() == "Pipeline review"
            page.locator("tr.group.walk_away + tr td.deal a").click()
            page.wait_for_url("**/deals/**")
            assert page.locator(".verdict .call").inner_text().lower() == "walk away"
            deal_name = page.locator("h1").inner_text()

            page.locator('input[name="decision"][value="walk_away"]').check()
            page.fill('textarea[name="reason"]', "Margin below our floor; no movement")
            page.locator("#decision-form button[type=submit]").click()
            page.wait_for_url("**/journal**")
            row = page.locator("tr.highlight")
            assert "Margin below our floor; no movement" in row.inner_text()
            assert deal_name in row.inner_text()

            page.goto(f"{server}/deals/X-1")
            assert page.locator("h1").inner_text() == SCRIPT_NAME
            x1 = httpx.get(f"{server}/api/deals/X-1", timeout=30).json()
            board = httpx.URL(
                f"{server}/", params={"owner": x1["owner"], "call": x1["recommendation"]}
            )
            page.goto(str(board))
            assert page.get_by_text(SCRIPT_NAME, exact=True).count() == 1
        finally:
            browser.close()
    assert dialogs == [], f"a script ran: {dialogs}"


def test_every_page_keeps_to_its_content_security_policy_in_chromium(server: str) -> None:
    """The policy allows no inline script or style: Chromium reports any it refused, and a
    page that needed one would show broken. The win-probability bars are SVG now."""
    from playwright.sync_api import sync_playwright

    lost = httpx.get(f"{server}/api/deals", params={"outcome": "lost", "limit": 1}, timeout=30)
    lost_id = lost.json()["deals"][0]["deal_id"]
    pages = ["/", "/deals/D-2030", "/journal", "/losses", "/import", "/policy", "/leadership",
             "/docs", "/backtest", f"/deals/{lost_id}/loss-review"]  # fmt: skip
    refused: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            page = browser.new_page()
            page.on("console", lambda message: refused.append(message.text))
            for path in pages:
                response = page.goto(f"{server}{path}?as_of={AS_OF}")
                assert response is not None and response.ok, path
                assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
            page.goto(f"{server}/?as_of={AS_OF}")
            widths = page.eval_on_selector_all(
                ".pbar .fill", "bars => bars.map(b => b.getBBox().width)"
            )
            assert widths and max(widths) > 0
        finally:
            browser.close()
    assert not [m for m in refused if "Content Security Policy" in m], refused
