"""Take the dashboard screenshots in this folder from the bundled sample.

    .venv/bin/python docs/screenshots/take_screenshots.py

Builds the sample into a temporary SQLite file, starts ``walkaway serve`` on a free
127.0.0.1 port as of the sample's today, and photographs the review board and a deal
page with Debian's headless Chromium (Playwright); then writes the monthly report
(``walkaway report``) for the same day and photographs its first page. Nothing leaves
the machine.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright

from walkaway.sample import SAMPLE_AS_OF
from walkaway.service import build_demo

HERE = Path(__file__).resolve().parent
SHOTS = {"board.png": ("/", 1500), "deal.png": ("/deals/D-2030", 1900)}
REPORT_SHOT = ("report.png", 1024, 1280)  # name, width, height
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(base: str) -> None:
    for _ in range(300):
        try:
            if httpx.get(f"{base}/api/health", timeout=2).is_success:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit("walkaway serve did not start")


def photograph(base: str, report: Path) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 900}, device_scale_factor=1)
        for name, (path, height) in SHOTS.items():
            page.goto(base + path)
            page.screenshot(
                path=str(HERE / name),
                full_page=True,
                clip={"x": 0, "y": 0, "width": 1440, "height": height},
            )
        name, width, height = REPORT_SHOT
        page = browser.new_page(viewport={"width": width, "height": height})
        page.goto(report.as_uri())
        page.screenshot(path=str(HERE / name))
        browser.close()


def write_report(db: Path, out: Path) -> None:
    command = [sys.executable, "-m", "walkaway", "report", "--db", str(db), "--out", str(out)]
    subprocess.run([*command, "--as-of", SAMPLE_AS_OF.isoformat()], check=True)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "demo.db"
        build_demo(str(db))[0].close()
        report = Path(tmp) / "review.html"
        write_report(db, report)
        port = free_port()
        command = [sys.executable, "-m", "walkaway", "serve", "--db", str(db)]
        server = subprocess.Popen(
            [*command, "--port", str(port), "--as-of", SAMPLE_AS_OF.isoformat()]
        )
        try:
            wait_until_up(f"http://127.0.0.1:{port}")
            photograph(f"http://127.0.0.1:{port}", report)
        finally:
            server.terminate()
            server.wait(timeout=30)
    print("wrote", ", ".join([*SHOTS, REPORT_SHOT[0]]))


if __name__ == "__main__":
    main()
